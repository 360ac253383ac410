package dev.carryon.cow.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Random-access bytes an image lives in: a local file today, a carrier behind HTTP later. The
 * engine reads and writes images only through this interface.
 */
public interface Storage extends Closeable {
  /** Current length in bytes. */
  long size() throws IOException;

  /**
   * Reads up to {@code dst.remaining()} bytes at {@code position}; returns the count read, -1 at
   * or past the end.
   */
  int read(ByteBuffer dst, long position) throws IOException;

  /** Writes all of {@code src} at {@code position}, growing the storage when needed. */
  void write(ByteBuffer src, long position) throws IOException;

  /** Cuts the storage to {@code size} bytes (or grows it with zeros). */
  void truncate(long size) throws IOException;

  /** Makes every write so far durable. */
  void force() throws IOException;

  /** Whether writes are allowed. */
  boolean isWritable();

  /** Where the bytes live, for messages; may be a pseudo path for remote storage. */
  Path path();

  /** Reads exactly {@code dst.remaining()} bytes or fails naming the file and the range. */
  default void readFully(ByteBuffer dst, long position) throws IOException {
    long at = position;
    while (dst.hasRemaining()) {
      int n = read(dst, at);
      if (n < 0) {
        throw new java.io.EOFException(
            path() + ": unexpected end of file at byte " + at + " (file is " + size() + " bytes)");
      }
      at += n;
    }
  }
}
