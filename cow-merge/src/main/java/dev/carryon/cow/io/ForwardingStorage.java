package dev.carryon.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** A {@link Storage} that passes every call to another; subclasses override what they watch. */
public abstract class ForwardingStorage implements Storage {
  /** Where the calls go. */
  protected final Storage inner;

  protected ForwardingStorage(Storage inner) {
    this.inner = inner;
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
