package dev.carryon.sync.ext4;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Random-access, read-only bytes a filesystem lives on: a raw image file, or the guest view of a
 * qcow2 chain (adapted with a lambda pair or a small class).
 */
public interface BlockDevice {
  /** Size of the device in bytes. */
  long size() throws IOException;

  /**
   * Fills all of {@code dst}'s remaining bytes from the device, starting at byte {@code offset}.
   *
   * @throws java.io.EOFException when the range runs past {@link #size()}
   */
  void read(ByteBuffer dst, long offset) throws IOException;
}
