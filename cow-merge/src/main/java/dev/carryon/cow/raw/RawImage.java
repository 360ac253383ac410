package dev.carryon.cow.raw;

import dev.carryon.cow.DiskImage;
import dev.carryon.cow.Extent;
import dev.carryon.cow.ImageException;
import dev.carryon.cow.ImageFormat;
import dev.carryon.cow.io.Buffers;
import dev.carryon.cow.io.CountingStorage;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

/** A raw image: guest offset equals file offset, the virtual size is the file size. */
final class RawImage implements DiskImage {
  /** Zeros are written in pieces of this size. */
  private static final int ZERO_CHUNK = 1 << 20;

  /** The image's bytes, counting what is written to them. */
  private final CountingStorage storage;
  /** Fixed at open: writes never grow a raw image. */
  private final long size;
  private boolean unflushed;

  RawImage(Storage storage) throws IOException {
    this.storage = new CountingStorage(storage);
    this.size = storage.size();
  }

  @Override
  public ImageFormat format() {
    return ImageFormat.RAW;
  }

  @Override
  public Path path() {
    return storage.path();
  }

  @Override
  public long virtualSize() {
    return size;
  }

  @Override
  public String backingFileName() {
    return null;
  }

  @Override
  public String backingFormat() {
    return null;
  }

  @Override
  public boolean isWritable() {
    return storage.isWritable();
  }

  @Override
  public long bytesWritten() {
    return storage.written();
  }

  @Override
  public void attachBacking(DiskImage backing) {
    throw new UnsupportedOperationException(path() + ": a raw image has no backing file");
  }

  @Override
  public void read(ByteBuffer dst, long guestOffset) throws IOException {
    checkRange(guestOffset, dst.remaining());
    long at = guestOffset;
    while (dst.hasRemaining()) {
      int n = storage.read(dst, at);
      if (n < 0) {
        throw new java.io.EOFException(path() + ": shrank while open (read at " + at + ")");
      }
      at += n;
    }
  }

  @Override
  public void write(ByteBuffer src, long guestOffset) throws IOException {
    checkRange(guestOffset, src.remaining());
    checkWritable();
    unflushed = true;
    storage.write(src, guestOffset);
  }

  @Override
  public void writeZeroes(long guestOffset, long length) throws IOException {
    checkRange(guestOffset, length);
    ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(ZERO_CHUNK, Math.max(1, length)));
    for (long at = guestOffset; at < guestOffset + length; ) {
      int n = (int) Math.min(zeros.capacity(), guestOffset + length - at);
      write(Buffers.first(zeros, n), at);
      at += n;
    }
  }

  @Override
  public void prepareWrite(long guestOffset, long length) throws IOException {
    checkRange(guestOffset, length);
    checkWritable();
  }

  @Override
  public List<Extent> mapLayer(long start, long length) {
    long end = Math.min(size, start + length);
    return end <= start
        ? Collections.<Extent>emptyList()
        : Collections.singletonList(new Extent(start, end - start, 0, true, false, true, start));
  }

  @Override
  public void flush() throws IOException {
    if (unflushed) {
      // The caller asked for durability: everything written so far must survive a power cut.
      storage.force();
      unflushed = false;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      storage.close();
    }
  }

  private void checkWritable() throws IOException {
    if (!storage.isWritable()) {
      throw new ImageException(path(), "the image is open read-only");
    }
  }

  private void checkRange(long guestOffset, long length) {
    if (guestOffset < 0 || length < 0 || guestOffset > size - length) {
      throw new IllegalArgumentException(
          path() + ": guest range " + guestOffset + "+" + length + " lies outside the virtual size " + size);
    }
  }
}
