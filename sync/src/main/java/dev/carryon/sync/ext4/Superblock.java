package dev.carryon.sync.ext4;

import static dev.carryon.sync.ext4.Ext4Format.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of the superblock this reader needs, validated in a fixed order (magic, block size,
 * incompatible features, group geometry, inode and descriptor sizes) so that nothing derived from
 * a damaged superblock is used before it has been bounded.
 */
final class Superblock {
  /** Bytes per block: 1 KiB to 64 KiB. */
  final int blockSize;
  /** Blocks in the filesystem. */
  final long blocksCount;
  /** Block holding the superblock; the descriptor table follows it. */
  final long firstDataBlock;
  /** Blocks per block group. */
  final long blocksPerGroup;
  /** Inodes per block group. */
  final long inodesPerGroup;
  /** Inodes in the filesystem; valid inode numbers are 1 to this. */
  final long inodesCount;
  /** Bytes per inode record. */
  final int inodeSize;
  /** Bytes per group descriptor. */
  final int descSize;
  /** Number of block groups. */
  final long groupCount;
  /** First descriptor block placed by the meta_bg rule. */
  final long firstMetaBg;
  /** Feature bit sets. */
  final int compat;
  final int incompat;
  final int roCompat;
  /** The two backup groups of sparse_super2. */
  final long backupGroup0;
  final long backupGroup1;
  /** Inode of the internal journal (u32), 0 when there is none. */
  final int journalInode;
  /** Volume label, possibly empty. */
  final String volumeName;

  private Superblock(ByteBuffer b, String device) throws Ext4Exception {
    int magic = u16(b, SB_MAGIC);
    if (magic != SUPER_MAGIC) {
      throw new Ext4Exception(Ext4Exception.Kind.NOT_EXT, String.format(
          "%s: not an ext2/ext3/ext4 filesystem (superblock magic 0x%04x at byte %d, expected"
              + " 0x%04x)", device, magic, SUPERBLOCK_OFFSET + SB_MAGIC, SUPER_MAGIC));
    }
    long logBlockSize = u32(b, SB_LOG_BLOCK_SIZE);
    if (logBlockSize > MAX_LOG_BLOCK_SIZE) {
      throw corrupt(device, "block size 2^(10+" + logBlockSize
          + ") is out of range (1 KiB to 64 KiB)");
    }
    blockSize = 1024 << logBlockSize;
    compat = b.getInt(SB_FEATURE_COMPAT);
    incompat = b.getInt(SB_FEATURE_INCOMPAT);
    roCompat = b.getInt(SB_FEATURE_RO_COMPAT);
    checkIncompat(device, incompat);

    boolean is64 = (incompat & INCOMPAT_64BIT) != 0;
    blocksCount = u32(b, SB_BLOCKS_COUNT_LO) | (is64 ? u32(b, SB_BLOCKS_COUNT_HI) << 32 : 0);
    firstDataBlock = u32(b, SB_FIRST_DATA_BLOCK);
    blocksPerGroup = u32(b, SB_BLOCKS_PER_GROUP);
    inodesPerGroup = u32(b, SB_INODES_PER_GROUP);
    inodesCount = u32(b, SB_INODES_COUNT);
    long bitsPerBlock = 8L * blockSize;
    long logClusterSize = u32(b, SB_LOG_CLUSTER_SIZE);
    boolean bigalloc = (roCompat & RO_COMPAT_BIGALLOC) != 0;
    if (bigalloc && (logClusterSize < logBlockSize || logClusterSize > logBlockSize + 16)) {
      throw corrupt(device, "cluster size 2^(10+" + logClusterSize + ") is out of range for"
          + " blocks of " + blockSize + " bytes");
    }
    // A group's bitmap counts clusters: with bigalloc a group spans that many clusters of blocks.
    long blocksPerBitmap = bitsPerBlock << (bigalloc ? logClusterSize - logBlockSize : 0);
    if (blocksCount <= firstDataBlock || blocksCount > (1L << 48)) {
      throw corrupt(device, "block count " + blocksCount + " is out of range (first data block "
          + firstDataBlock + ")");
    }
    if (blocksPerGroup < 8 || blocksPerGroup > blocksPerBitmap) {
      throw corrupt(device, "blocks per group " + blocksPerGroup + " is out of range (8.."
          + blocksPerBitmap + ")");
    }
    if (inodesPerGroup < 1 || inodesPerGroup > bitsPerBlock) {
      throw corrupt(device, "inodes per group " + inodesPerGroup + " is out of range (1.."
          + bitsPerBlock + ")");
    }
    groupCount = (blocksCount - firstDataBlock + blocksPerGroup - 1) / blocksPerGroup;
    if (inodesCount < ROOT_INO || inodesCount > groupCount * inodesPerGroup) {
      throw corrupt(device, "inode count " + inodesCount + " does not fit " + groupCount
          + " groups of " + inodesPerGroup + " inodes");
    }

    long rev = u32(b, SB_REV_LEVEL);
    inodeSize = rev == 0 ? GOOD_OLD_INODE_SIZE : u16(b, SB_INODE_SIZE);
    if (inodeSize < GOOD_OLD_INODE_SIZE || inodeSize > blockSize
        || Integer.bitCount(inodeSize) != 1) {
      throw corrupt(device, "inode size " + inodeSize + " is not a power of two from 128 to the"
          + " block size " + blockSize);
    }
    descSize = is64 ? u16(b, SB_DESC_SIZE) : DESC_SIZE_32;
    if (descSize < (is64 ? MIN_DESC_SIZE_64 : DESC_SIZE_32) || descSize > blockSize
        || Integer.bitCount(descSize) != 1) {
      throw corrupt(device, "group descriptor size " + descSize + " is out of range");
    }
    firstMetaBg = u32(b, SB_FIRST_META_BG);
    journalInode = b.getInt(SB_JOURNAL_INUM);
    backupGroup0 = u32(b, SB_BACKUP_BGS);
    backupGroup1 = u32(b, SB_BACKUP_BGS + 4);
    byte[] label = new byte[16];
    b.get(SB_VOLUME_NAME, label);
    int len = 0;
    while (len < label.length && label[len] != 0) {
      len++;
    }
    volumeName = new String(label, 0, len, StandardCharsets.UTF_8);
  }

  /** Parses and validates the {@link Ext4Format#SUPERBLOCK_SIZE} bytes in {@code raw}. */
  static Superblock parse(ByteBuffer raw, String device) throws Ext4Exception {
    return new Superblock(raw.duplicate().order(ByteOrder.LITTLE_ENDIAN), device);
  }

  boolean has(int incompatBit) {
    return (incompat & incompatBit) != 0;
  }

  /** Whether {@code group} holds a superblock backup (and so a descriptor copy after it). */
  boolean groupHasSuper(long group) {
    if (group == 0) {
      return true;
    }
    if ((compat & COMPAT_SPARSE_SUPER2) != 0) {
      return group == backupGroup0 || group == backupGroup1;
    }
    if (group == 1 || (roCompat & RO_COMPAT_SPARSE_SUPER) == 0) {
      return true;
    }
    return (group & 1) != 0 && (isPower(group, 3) || isPower(group, 5) || isPower(group, 7));
  }

  private static boolean isPower(long n, int base) {
    long p = base;
    while (p < n) {
      p *= base;
    }
    return p == n;
  }

  /** Refuses every incompatible feature this reader does not implement, naming them all. */
  private static void checkIncompat(String device, int incompat) throws Ext4Exception {
    List<String> refused = new ArrayList<>();
    for (int bit = 1; bit != 0; bit <<= 1) {
      if ((incompat & bit) == 0 || SUPPORTED_INCOMPAT.containsKey(bit)) {
        continue;
      }
      String name = UNSUPPORTED_INCOMPAT.get(bit);
      refused.add(name != null ? "'" + name + "'" : String.format("unknown 0x%x", bit));
    }
    if (!refused.isEmpty()) {
      throw new Ext4Exception(Ext4Exception.Kind.UNSUPPORTED, device + ": ext4 feature"
          + (refused.size() > 1 ? "s " : " ") + String.join(", ", refused)
          + (refused.size() > 1 ? " are" : " is") + " not supported");
    }
  }

  private static Ext4Exception corrupt(String device, String problem) {
    return new Ext4Exception(Ext4Exception.Kind.CORRUPT, device + ": superblock: " + problem);
  }
}
