package dev.carryon.sync.ext4;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Random-access, read-only bytes a filesystem lives on: a raw image file, or the guest view of a
 * qcow2 chain (adapted with {@link #of}).
 */
public interface BlockDevice {
  /** Size of the device in bytes. */
  long size() throws IOException;

  /**
   * Fills all of {@code dst}'s remaining bytes from the device, starting at byte {@code offset}.
   *
   * @throws EOFException when the range runs past {@link #size()}
   */
  void read(ByteBuffer dst, long offset) throws IOException;

  /** The reading half of a device, so that a method reference or lambda can supply it. */
  @FunctionalInterface
  interface Reader {
    /** Fills all of {@code dst}'s remaining bytes from byte {@code offset}. */
    void read(ByteBuffer dst, long offset) throws IOException;
  }

  /** A device of {@code size} bytes read by {@code reader}, which needs no bounds checks. */
  static BlockDevice of(long size, Reader reader) {
    if (size < 0) {
      throw new IllegalArgumentException("size (" + size + ") must not be negative");
    }
    return new BlockDevice() {
      @Override
      public long size() {
        return size;
      }

      @Override
      public void read(ByteBuffer dst, long offset) throws IOException {
        if (offset < 0 || dst.remaining() > size - offset) {
          throw new EOFException("read of " + dst.remaining() + " bytes at offset " + offset
              + " runs past the end of the device (" + size + " bytes)");
        }
        reader.read(dst, offset);
      }
    };
  }

  /**
   * The {@code length} bytes of this device from {@code offset}: a partition of a whole disk.
   */
  default BlockDevice slice(long offset, long length) throws IOException {
    long size = size();
    if (offset < 0 || length < 0 || length > size - offset) {
      throw new IllegalArgumentException("slice of " + length + " bytes at offset " + offset
          + " does not fit a device of " + size + " bytes");
    }
    return of(length, (dst, at) -> read(dst, offset + at));
  }
}
