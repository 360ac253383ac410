package dev.carryon.cow.qcow2;

import dev.carryon.cow.io.ForwardingStorage;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A file whose first bytes were read at once, so that the header, its extensions and the backing
 * file name (which QEMU keeps in the first few hundred bytes) cost one read rather than one each:
 * one request instead of five when the image is a carrier's file behind HTTP. Reads elsewhere pass
 * through. Only read from: writes would leave the copy stale.
 */
final class HeadOfFile extends ForwardingStorage {
  /** Bytes read at once: the header of every image QEMU or this engine makes fits. */
  static final int BYTES = 4096;

  /** The file's first bytes (fewer when the file is shorter). */
  private final byte[] head;

  private HeadOfFile(Storage inner, byte[] head) {
    super(inner);
    this.head = head;
  }

  /** {@code storage}, whose size is {@code fileSize}, with its first bytes read now. */
  static HeadOfFile of(Storage storage, long fileSize) throws IOException {
    byte[] head = new byte[(int) Math.min(fileSize, BYTES)];
    storage.readFully(ByteBuffer.wrap(head), 0);
    return new HeadOfFile(storage, head);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    if (position < 0 || position + dst.remaining() > head.length) {
      return super.read(dst, position);
    }
    int n = dst.remaining();
    dst.put(head, (int) position, n);
    return n;
  }

  @Override
  public void write(ByteBuffer src, long position) throws IOException {
    throw new IOException(path() + ": the head of the file was read for its header only");
  }
}
