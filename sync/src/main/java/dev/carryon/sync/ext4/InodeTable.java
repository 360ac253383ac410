package dev.carryon.sync.ext4;

import static dev.carryon.sync.ext4.Ext4Format.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Finds inodes through the group descriptors (32- or 64-byte, classic or meta_bg placement). */
final class InodeTable {
  /** The filesystem. */
  private final Volume vol;
  /** Group descriptors per block. */
  private final long descsPerBlock;

  InodeTable(Volume vol) {
    this.vol = vol;
    this.descsPerBlock = vol.blockSize() / vol.sb.descSize;
  }

  /**
   * Reads inode {@code number}; {@code context} says where the number came from, for errors.
   */
  Ext4File read(long number, String context) throws IOException {
    Superblock sb = vol.sb;
    if (number < 1 || number > sb.inodesCount) {
      throw vol.corrupt("inode number " + number + " (" + context + ") is out of range (1.."
          + sb.inodesCount + ")");
    }
    long group = (number - 1) / sb.inodesPerGroup;
    long index = (number - 1) % sb.inodesPerGroup;
    ByteBuffer desc = descriptor(group);
    // The flag only means something when descriptors are checksummed; older kernels ignore it.
    boolean flagsValid = (sb.roCompat & (RO_COMPAT_GDT_CSUM | RO_COMPAT_METADATA_CSUM)) != 0;
    if (flagsValid && (u16(desc, BG_FLAGS) & BG_INODE_UNINIT) != 0) {
      throw vol.corrupt("inode " + number + " (" + context + ") lies in group " + group
          + ", whose inode table is marked never initialized");
    }
    long table = u32(desc, BG_INODE_TABLE_LO);
    if (sb.descSize >= MIN_DESC_SIZE_64) {
      table |= u32(desc, BG_INODE_TABLE_HI) << 32;
    }
    long tableBlocks = (sb.inodesPerGroup * sb.inodeSize + vol.blockSize() - 1) / vol.blockSize();
    vol.checkBlocks(table, tableBlocks, "the inode table of group " + group);
    ByteBuffer raw = ByteBuffer.allocate(sb.inodeSize).order(ByteOrder.LITTLE_ENDIAN);
    vol.read(raw, table * vol.blockSize() + index * sb.inodeSize, "inode " + number);
    return Ext4File.parse(vol, number, raw.flip());
  }

  /** The descriptor of {@code group}, as a little-endian buffer of descSize bytes. */
  private ByteBuffer descriptor(long group) throws IOException {
    Superblock sb = vol.sb;
    long descBlock = group / descsPerBlock;
    long block;
    if (sb.has(INCOMPAT_META_BG) && descBlock >= sb.firstMetaBg) {
      // meta_bg: each run of descsPerBlock groups keeps its descriptors in its own first group,
      // right after that group's superblock backup (and after block 1's superblock when 1 KiB
      // blocks start at block 0, as bigalloc makes them).
      long first = descBlock * descsPerBlock;
      long skip = sb.groupHasSuper(first) ? 1 : 0;
      if (vol.blockSize() == 1024 && first == 0 && sb.firstDataBlock == 0) {
        skip++;
      }
      block = sb.firstDataBlock + first * sb.blocksPerGroup + skip;
    } else {
      // The table follows the block holding the superblock, wherever the data blocks start.
      block = SUPERBLOCK_OFFSET / vol.blockSize() + 1 + descBlock;
    }
    vol.checkBlocks(block, 1, "the descriptor of group " + group);
    ByteBuffer d = ByteBuffer.allocate(sb.descSize).order(ByteOrder.LITTLE_ENDIAN);
    vol.read(d, block * vol.blockSize() + (group % descsPerBlock) * sb.descSize,
        "the descriptor of group " + group);
    return d.flip();
  }
}
