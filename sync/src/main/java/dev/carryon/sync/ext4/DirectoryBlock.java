package dev.carryon.sync.ext4;

import static dev.carryon.sync.ext4.Ext4Format.*;

import java.nio.ByteBuffer;

/**
 * Walks the linear entries of one directory block (or of the inline area of an inline directory).
 * Hashed (dir_index) directories keep their leaf entries in this same form, and their interior
 * nodes hide behind entries with inode 0, so a linear walk reads them all.
 */
final class DirectoryBlock {
  private DirectoryBlock() {}

  /** Receives each used entry; returns false to stop the walk. */
  interface Visitor {
    boolean entry(long inode, byte[] name) throws Ext4Exception;
  }

  /**
   * Visits the used entries in {@code data}; returns false when the visitor stopped early.
   *
   * @param where names the block in errors ("directory inode 12, block 3")
   */
  static boolean walk(Volume vol, ByteBuffer data, String where, Visitor visitor)
      throws Ext4Exception {
    boolean fileType = vol.sb.has(INCOMPAT_FILETYPE);
    int limit = data.limit();
    int at = 0;
    while (at < limit) {
      if (limit - at < DE_NAME) {
        throw vol.corrupt(where + ": directory entry at offset " + at + " is cut off by the end"
            + " of the block (" + limit + " bytes)");
      }
      int recLen = recLen(vol, u16(data, at + DE_REC_LEN));
      if (recLen < DE_NAME || recLen % 4 != 0 || recLen > limit - at) {
        throw vol.corrupt(where + ": directory entry at offset " + at + " has rec_len " + recLen
            + ", which overruns the block (" + limit + " bytes) or is malformed");
      }
      int nameLen = fileType ? Byte.toUnsignedInt(data.get(at + DE_NAME_LEN))
          : u16(data, at + DE_NAME_LEN);
      long inode = u32(data, at + DE_INODE);
      if (inode != 0) {
        if (nameLen == 0 || DE_NAME + nameLen > recLen) {
          throw vol.corrupt(where + ": directory entry at offset " + at + " has name length "
              + nameLen + ", which does not fit its rec_len " + recLen);
        }
        byte[] name = new byte[nameLen];
        data.get(at + DE_NAME, name);
        if (!visitor.entry(inode, name)) {
          return false;
        }
      }
      at += recLen;
    }
    return true;
  }

  /** Decodes rec_len; 64 KiB blocks need a 17th bit, stored in the low two. */
  private static int recLen(Volume vol, int raw) {
    if (vol.blockSize() >= 65536 && (raw == 65535 || raw == 0)) {
      return 65536;
    }
    return (raw & 65532) | (raw & 3) << 16;
  }
}
