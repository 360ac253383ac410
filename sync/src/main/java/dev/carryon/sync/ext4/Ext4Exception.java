package dev.carryon.sync.ext4;

import java.io.IOException;

/**
 * A filesystem could not be read, or a path in it could not be resolved. The message names the
 * device (as given to {@link Ext4Filesystem#open}) and the problem; {@link #kind()} lets callers
 * tell the cases apart.
 */
public final class Ext4Exception extends IOException {
  /** What went wrong. */
  public enum Kind {
    /** The device holds no ext2/3/4 filesystem (bad superblock magic). */
    NOT_EXT,
    /** The filesystem or a file uses a feature this reader does not implement. */
    UNSUPPORTED,
    /** An on-disk structure is inconsistent: the filesystem is damaged or not what it claims. */
    CORRUPT,
    /** A path component does not exist. */
    NOT_FOUND,
    /** A directory was expected. */
    NOT_DIRECTORY,
    /** A regular file (or a symlink, for readLink) was expected. */
    WRONG_TYPE,
    /** Too many symbolic links were followed while resolving a path. */
    SYMLINK_LOOP,
  }

  /** What went wrong. */
  private final Kind kind;

  Ext4Exception(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  /** What went wrong. */
  public Kind kind() {
    return kind;
  }
}
