package dev.carryon.sync.ext4;

import java.io.IOException;

/** Maps a file's logical blocks to device blocks: an extent tree or a classic block map. */
interface BlockMap {
  /** {@link Run#physical} of a hole or an uninitialized extent: reads as zeroes. */
  long HOLE = -1;

  /**
   * A run of logical blocks starting at {@code start} that are stored contiguously.
   *
   * @param physical device block of the first logical block, or {@link #HOLE}
   * @param length blocks in the run, at least 1 (a trailing hole may be {@link Long#MAX_VALUE})
   */
  record Run(long physical, long length) {}

  /** The run that begins at logical block {@code logical}. */
  Run find(long logical) throws IOException;

  /** The map of a file whose data is not inline. */
  static BlockMap of(Volume vol, Ext4File file) throws Ext4Exception {
    return file.hasFlag(Ext4Format.INODE_EXTENTS_FL)
        ? new ExtentMap(vol, file)
        : new IndirectMap(vol, file);
  }
}
