package dev.carryon.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** A {@link Storage} that counts the bytes written through it (data and metadata). */
public final class CountingStorage implements Storage {
  private final Storage inner;
  /** Bytes written so far. */
  private long written;

  public CountingStorage(Storage inner) {
    this.inner = inner;
  }

  /** Bytes written through this storage so far. */
  public long written() {
    return written;
  }

  @Override
  public long size() throws IOException {
    return inner.size();
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return inner.read(dst, position);
  }

  @Override
  public void write(ByteBuffer src, long position) throws IOException {
    written += src.remaining();
    inner.write(src, position);
  }

  @Override
  public void truncate(long size) throws IOException {
    inner.truncate(size);
  }

  @Override
  public void force() throws IOException {
    inner.force();
  }

  @Override
  public boolean isWritable() {
    return inner.isWritable();
  }

  @Override
  public Path path() {
    return inner.path();
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }
}
