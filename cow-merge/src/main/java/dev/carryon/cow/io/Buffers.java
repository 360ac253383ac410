package dev.carryon.cow.io;

import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * ByteBuffer steps written so that they also run on Android API 26, whose ByteBuffer lacks Java
 * 13's absolute bulk get and slice and Java 9's ByteBuffer-typed returns of the Buffer methods
 * (code compiled for Java 17 calls those and would fail there with NoSuchMethodError).
 */
public final class Buffers {
  private Buffers() {}

  /** {@code length} bytes of {@code b} from {@code index}, sharing its content (Java 13's slice). */
  public static ByteBuffer slice(ByteBuffer b, int index, int length) {
    ByteBuffer d = b.duplicate();
    ((Buffer) d).limit(index + length).position(index);
    return d.slice();
  }

  /** Copies {@code length} bytes of {@code b} at {@code index} into {@code dst} at {@code offset}. */
  public static void get(ByteBuffer b, int index, byte[] dst, int offset, int length) {
    ByteBuffer d = b.duplicate();
    ((Buffer) d).position(index);
    d.get(dst, offset, length);
  }

  /** {@code b} cleared and limited to its first {@code length} bytes. */
  public static ByteBuffer first(ByteBuffer b, int length) {
    ((Buffer) b).clear().limit(length);
    return b;
  }

  /** {@code b} flipped: what was written is ready to read. */
  public static ByteBuffer flip(ByteBuffer b) {
    ((Buffer) b).flip();
    return b;
  }

  /** Moves {@code b}'s position to {@code position}. */
  public static void position(ByteBuffer b, int position) {
    ((Buffer) b).position(position);
  }
}
