package dev.carryon.sync.ext4;

import static dev.carryon.sync.ext4.Ext4Format.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Data of an inode with the inline_data flag: the first 60 bytes sit in i_block, the rest in the
 * "system.data" extended attribute inside the inode, after i_extra_isize. A value kept outside
 * the inode (an ea_inode) is refused as unsupported.
 */
final class InlineData {
  private InlineData() {}

  /** The i_block part and the system.data part, back to back; at most inode-size bytes. */
  static byte[] read(Volume vol, Ext4File file) throws Ext4Exception {
    ByteBuffer raw = file.raw;
    byte[] inBlock = new byte[I_BLOCK_SIZE];
    raw.get(I_BLOCK, inBlock);
    byte[] inAttr = systemData(vol, file);
    byte[] all = new byte[I_BLOCK_SIZE + inAttr.length];
    System.arraycopy(inBlock, 0, all, 0, I_BLOCK_SIZE);
    System.arraycopy(inAttr, 0, all, I_BLOCK_SIZE, inAttr.length);
    return all;
  }

  /** The value of system.data, or an empty array when the inode has none. */
  private static byte[] systemData(Volume vol, Ext4File file) throws Ext4Exception {
    ByteBuffer raw = file.raw;
    int area = GOOD_OLD_INODE_SIZE + file.extraSize;
    if (area + 4 > raw.capacity() || raw.getInt(area) != XATTR_MAGIC) {
      return new byte[0];
    }
    int first = area + 4; // value offsets count from the first entry
    int at = first;
    while (at + XE_NAME <= raw.capacity() && raw.getInt(at) != 0) {
      int nameLen = Byte.toUnsignedInt(raw.get(at + XE_NAME_LEN));
      int entrySize = (XE_NAME + nameLen + 3) & ~3;
      if (at + entrySize > raw.capacity()) {
        throw vol.corrupt("inode " + file.number() + ": in-inode extended attribute at byte "
            + at + " runs past the inode");
      }
      byte[] name = new byte[nameLen];
      raw.get(at + XE_NAME, name);
      if (Byte.toUnsignedInt(raw.get(at + XE_NAME_INDEX)) == XATTR_INDEX_SYSTEM
          && XATTR_INLINE_DATA_NAME.equals(new String(name, StandardCharsets.ISO_8859_1))) {
        if (raw.getInt(at + XE_VALUE_INUM) != 0) {
          throw vol.error(Ext4Exception.Kind.UNSUPPORTED, "inode " + file.number()
              + ": inline data kept in a separate attribute inode is not supported");
        }
        long size = u32(raw, at + XE_VALUE_SIZE);
        int offset = first + u16(raw, at + XE_VALUE_OFFS);
        if (size > raw.capacity() - offset) {
          throw vol.corrupt("inode " + file.number() + ": inline data attribute of " + size
              + " bytes at byte " + offset + " runs past the " + raw.capacity() + "-byte inode");
        }
        byte[] value = new byte[(int) size];
        raw.get(offset, value);
        return value;
      }
      at += entrySize;
    }
    return new byte[0];
  }
}
