package dev.carryon.sync.disk;

import java.io.IOException;

/**
 * No file system could be chosen on a guest disk: the one named does not exist or holds no file
 * system, or several could hold the guest path. The message names the disk, lists what it holds
 * and says how to choose.
 */
public final class VolumeException extends IOException {
  public VolumeException(String message) {
    super(message);
  }
}
