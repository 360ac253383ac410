package dev.carryon.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A real {@link Storage} whose Nth change (write, force or truncate, counted together from 1) or
 * Nth read fails with an IOException before it reaches the storage, as a disk that fills up, a
 * pulled cable or a dropped connection would make it fail. Later calls go through again: whatever
 * the engine does after the failure reaches the file.
 */
public final class FailingStorage extends ForwardingStorage {
  /** 1-based change that fails; 0 never. */
  private final long failChange;
  /** 1-based read that fails; 0 never. */
  private final long failRead;
  private long changes;
  private long reads;

  private FailingStorage(Storage inner, long failChange, long failRead) {
    super(inner);
    this.failChange = failChange;
    this.failRead = failRead;
  }

  /** Fails the {@code n}th change (0: none, to count them). */
  public static FailingStorage failingChange(Storage inner, long n) {
    return new FailingStorage(inner, n, 0);
  }

  /** Fails the {@code n}th read. */
  public static FailingStorage failingRead(Storage inner, long n) {
    return new FailingStorage(inner, 0, n);
  }

  /** Changes tried so far, the failed one included. */
  public long changes() {
    return changes;
  }

  /** Reads tried so far, the failed one included. */
  public long reads() {
    return reads;
  }

  private void change(String what) throws IOException {
    if (++changes == failChange) {
      throw new IOException(path() + ": injected failure of change " + changes + " (" + what + ")");
    }
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    if (++reads == failRead) {
      throw new IOException(path() + ": injected failure of read " + reads + " at " + position);
    }
    return inner.read(dst, position);
  }

  @Override
  public void write(ByteBuffer src, long position) throws IOException {
    change("write " + src.remaining() + " bytes at " + position);
    inner.write(src, position);
  }

  @Override
  public void truncate(long size) throws IOException {
    change("truncate to " + size);
    inner.truncate(size);
  }

  @Override
  public void force() throws IOException {
    change("force");
    inner.force();
  }
}
