package dev.carryon.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A {@link Storage} that counts the bytes written through it (data and metadata). */
public final class CountingStorage extends ForwardingStorage {
  /** Bytes written so far. */
  private long written;

  public CountingStorage(Storage inner) {
    super(inner);
  }

  /** Bytes written through this storage so far. */
  public long written() {
    return written;
  }

  @Override
  public void write(ByteBuffer src, long position) throws IOException {
    written += src.remaining();
    inner.write(src, position);
  }
}
