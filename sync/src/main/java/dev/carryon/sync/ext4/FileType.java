package dev.carryon.sync.ext4;

/** The type of a file, from the top four bits of its inode's mode. */
public enum FileType {
  REGULAR,
  DIRECTORY,
  SYMLINK,
  CHAR_DEVICE,
  BLOCK_DEVICE,
  FIFO,
  SOCKET;

  /** The type for an i_mode value, or null when its type bits name none. */
  static FileType ofMode(int mode) {
    switch (mode & Ext4Format.S_IFMT) {
      case Ext4Format.S_IFREG:
        return REGULAR;
      case Ext4Format.S_IFDIR:
        return DIRECTORY;
      case Ext4Format.S_IFLNK:
        return SYMLINK;
      case Ext4Format.S_IFCHR:
        return CHAR_DEVICE;
      case Ext4Format.S_IFBLK:
        return BLOCK_DEVICE;
      case Ext4Format.S_IFIFO:
        return FIFO;
      case Ext4Format.S_IFSOCK:
        return SOCKET;
      default:
        return null;
    }
  }
}
