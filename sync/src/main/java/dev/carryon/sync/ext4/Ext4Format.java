package dev.carryon.sync.ext4;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * On-disk constants of ext2/ext3/ext4, as the kernel's Documentation/filesystems/ext4 describes
 * them. All multi-byte fields are little-endian. Offsets are in bytes from the start of the
 * structure named by the group they sit in.
 */
final class Ext4Format {
  private Ext4Format() {}

  // ---- Superblock: 1024 bytes at byte 1024 of the device, whatever the block size. ----

  /** Byte offset of the superblock on the device. */
  static final int SUPERBLOCK_OFFSET = 1024;
  /** Length of the superblock. */
  static final int SUPERBLOCK_SIZE = 1024;

  /** u32 s_inodes_count: inodes in the filesystem. */
  static final int SB_INODES_COUNT = 0x00;
  /** u32 s_blocks_count_lo: low 32 bits of the block count. */
  static final int SB_BLOCKS_COUNT_LO = 0x04;
  /** u32 s_first_data_block: block holding the superblock (1 for 1 KiB blocks, else 0). */
  static final int SB_FIRST_DATA_BLOCK = 0x14;
  /** u32 s_log_block_size: block size is 1024 << this. */
  static final int SB_LOG_BLOCK_SIZE = 0x18;
  /** u32 s_log_cluster_size: cluster size is 1024 << this (bigalloc; else equals the block's). */
  static final int SB_LOG_CLUSTER_SIZE = 0x1C;
  /** u32 s_blocks_per_group. */
  static final int SB_BLOCKS_PER_GROUP = 0x20;
  /** u32 s_inodes_per_group. */
  static final int SB_INODES_PER_GROUP = 0x28;
  /** u16 s_magic: {@link #SUPER_MAGIC}. */
  static final int SB_MAGIC = 0x38;
  /** u32 s_rev_level: 0 is the original format (128-byte inodes, first inode 11). */
  static final int SB_REV_LEVEL = 0x4C;
  /** u32 s_first_ino: first non-reserved inode (revision 1 and later). */
  static final int SB_FIRST_INO = 0x54;
  /** u16 s_inode_size (revision 1 and later). */
  static final int SB_INODE_SIZE = 0x58;
  /** u32 s_feature_compat. */
  static final int SB_FEATURE_COMPAT = 0x5C;
  /** u32 s_feature_incompat. */
  static final int SB_FEATURE_INCOMPAT = 0x60;
  /** u32 s_feature_ro_compat. */
  static final int SB_FEATURE_RO_COMPAT = 0x64;
  /** char[16] s_volume_name, NUL-padded. */
  static final int SB_VOLUME_NAME = 0x78;
  /** u32 s_journal_inum: inode of the internal journal. */
  static final int SB_JOURNAL_INUM = 0xE0;
  /** u16 s_desc_size: group descriptor size when the 64bit feature is on. */
  static final int SB_DESC_SIZE = 0xFE;
  /** u32 s_first_meta_bg: first descriptor block placed by the meta_bg rule. */
  static final int SB_FIRST_META_BG = 0x104;
  /** u32 s_blocks_count_hi: high 32 bits of the block count (64bit feature). */
  static final int SB_BLOCKS_COUNT_HI = 0x150;
  /** u32[2] s_backup_bgs: the only groups with superblock backups under sparse_super2. */
  static final int SB_BACKUP_BGS = 0x24C;

  /** Value of s_magic. */
  static final int SUPER_MAGIC = 0xEF53;
  /** Largest s_log_block_size: 64 KiB blocks. */
  static final int MAX_LOG_BLOCK_SIZE = 6;
  /** Inode size of revision 0 filesystems. */
  static final int GOOD_OLD_INODE_SIZE = 128;
  /** First non-reserved inode of revision 0 filesystems. */
  static final int GOOD_OLD_FIRST_INO = 11;
  /** Group descriptor size without the 64bit feature. */
  static final int DESC_SIZE_32 = 32;
  /** Smallest group descriptor size with the 64bit feature. */
  static final int MIN_DESC_SIZE_64 = 64;
  /** Inode number of the root directory. */
  static final long ROOT_INO = 2;

  // ---- Feature flags. ----

  /** compat: the filesystem has a journal. */
  static final int COMPAT_HAS_JOURNAL = 0x4;
  /** compat: superblock backups only in the groups named by s_backup_bgs. */
  static final int COMPAT_SPARSE_SUPER2 = 0x200;
  /** ro_compat: superblock backups only in groups 0, 1 and powers of 3, 5, 7. */
  static final int RO_COMPAT_SPARSE_SUPER = 0x1;
  /** ro_compat: group descriptors carry checksums (and so trustworthy bg_flags). */
  static final int RO_COMPAT_GDT_CSUM = 0x10;
  /** ro_compat: all metadata carries checksums. */
  static final int RO_COMPAT_METADATA_CSUM = 0x400;
  /** ro_compat: blocks are allocated in clusters; extents still count blocks. */
  static final int RO_COMPAT_BIGALLOC = 0x200;

  static final int INCOMPAT_COMPRESSION = 0x1;
  static final int INCOMPAT_FILETYPE = 0x2;
  static final int INCOMPAT_RECOVER = 0x4;
  static final int INCOMPAT_JOURNAL_DEV = 0x8;
  static final int INCOMPAT_META_BG = 0x10;
  static final int INCOMPAT_EXTENTS = 0x40;
  static final int INCOMPAT_64BIT = 0x80;
  static final int INCOMPAT_MMP = 0x100;
  static final int INCOMPAT_FLEX_BG = 0x200;
  static final int INCOMPAT_EA_INODE = 0x400;
  static final int INCOMPAT_DIRDATA = 0x1000;
  static final int INCOMPAT_CSUM_SEED = 0x2000;
  static final int INCOMPAT_LARGEDIR = 0x4000;
  static final int INCOMPAT_INLINE_DATA = 0x8000;
  static final int INCOMPAT_ENCRYPT = 0x10000;
  static final int INCOMPAT_CASEFOLD = 0x20000;

  /**
   * Incompatible features a reader can honour, each with e2fsprogs' name. ro_compat features never
   * change how blocks are found, so a read-only reader accepts all of them, known or not.
   */
  static final Map<Integer, String> SUPPORTED_INCOMPAT = names(
      INCOMPAT_FILETYPE, "filetype",
      INCOMPAT_RECOVER, "needs_recovery",
      INCOMPAT_META_BG, "meta_bg",
      INCOMPAT_EXTENTS, "extent",
      INCOMPAT_64BIT, "64bit",
      INCOMPAT_MMP, "mmp",
      INCOMPAT_FLEX_BG, "flex_bg",
      INCOMPAT_EA_INODE, "ea_inode",
      INCOMPAT_CSUM_SEED, "metadata_csum_seed",
      INCOMPAT_LARGEDIR, "large_dir",
      INCOMPAT_INLINE_DATA, "inline_data",
      // Names are matched byte for byte; only case-insensitive lookups would need more.
      INCOMPAT_CASEFOLD, "casefold");

  /** Known incompatible features this reader refuses, with e2fsprogs' name. */
  static final Map<Integer, String> UNSUPPORTED_INCOMPAT = names(
      INCOMPAT_COMPRESSION, "compression",
      INCOMPAT_JOURNAL_DEV, "journal_dev",
      INCOMPAT_DIRDATA, "dirdata",
      INCOMPAT_ENCRYPT, "encrypt");

  // ---- Group descriptor: 32 bytes, or s_desc_size with 64bit. ----

  /** u32 bg_inode_table_lo: first block of the group's inode table. */
  static final int BG_INODE_TABLE_LO = 0x08;
  /** u16 bg_flags. */
  static final int BG_FLAGS = 0x12;
  /** u32 bg_inode_table_hi (64-byte descriptors only). */
  static final int BG_INODE_TABLE_HI = 0x28;
  /** bg_flags: the inode table was never written. */
  static final int BG_INODE_UNINIT = 0x1;

  // ---- Inode: s_inode_size bytes; the first 128 are the original layout. ----

  /** u16 i_mode: file type (top 4 bits) and permission bits. */
  static final int I_MODE = 0x00;
  /** u16 i_uid: low 16 bits of the owner. */
  static final int I_UID = 0x02;
  /** u32 i_size_lo. */
  static final int I_SIZE_LO = 0x04;
  /** s32 i_ctime: seconds since the epoch of the last inode change. */
  static final int I_CTIME = 0x0C;
  /** s32 i_mtime: seconds since the epoch. */
  static final int I_MTIME = 0x10;
  /** u16 i_gid: low 16 bits of the group. */
  static final int I_GID = 0x18;
  /** u16 i_links_count. */
  static final int I_LINKS_COUNT = 0x1A;
  /** u32 i_flags. */
  static final int I_FLAGS = 0x20;
  /** 60 bytes i_block: block map, extent tree root, fast symlink or inline data. */
  static final int I_BLOCK = 0x28;
  /** Length of i_block. */
  static final int I_BLOCK_SIZE = 60;
  /** u32 i_generation: told apart inodes that reuse a number. */
  static final int I_GENERATION = 0x64;
  /** u32 i_size_high. */
  static final int I_SIZE_HIGH = 0x6C;
  /** u16 l_i_uid_high. */
  static final int I_UID_HIGH = 0x78;
  /** u16 l_i_gid_high. */
  static final int I_GID_HIGH = 0x7A;
  /** u16 i_extra_isize: bytes used past the first 128. */
  static final int I_EXTRA_ISIZE = 0x80;
  /** u32 i_ctime_extra: epoch bits (low 2) and nanoseconds (high 30). */
  static final int I_CTIME_EXTRA = 0x84;
  /** u32 i_mtime_extra: epoch bits (low 2) and nanoseconds (high 30). */
  static final int I_MTIME_EXTRA = 0x88;

  /** i_flags: the file's data is encrypted. */
  static final int INODE_ENCRYPT_FL = 0x800;
  /** i_flags: i_block holds an extent tree. */
  static final int INODE_EXTENTS_FL = 0x80000;
  /** i_flags: the data lives in i_block and the system.data attribute. */
  static final int INODE_INLINE_DATA_FL = 0x10000000;

  /** i_mode file type mask and values. */
  static final int S_IFMT = 0xF000;
  static final int S_IFIFO = 0x1000;
  static final int S_IFCHR = 0x2000;
  static final int S_IFDIR = 0x4000;
  static final int S_IFBLK = 0x6000;
  static final int S_IFREG = 0x8000;
  static final int S_IFLNK = 0xA000;
  static final int S_IFSOCK = 0xC000;

  /** Direct block pointers in a classic block map, then single, double, triple indirect. */
  static final int DIRECT_BLOCKS = 12;

  // ---- Extent tree: a 12-byte header, then 12-byte entries (index or leaf). ----

  /** u16 eh_magic: {@link #EXTENT_MAGIC}. */
  static final int EH_MAGIC = 0x0;
  /** u16 eh_entries: valid entries after the header. */
  static final int EH_ENTRIES = 0x2;
  /** u16 eh_max: capacity of the node. */
  static final int EH_MAX = 0x4;
  /** u16 eh_depth: 0 for a leaf. */
  static final int EH_DEPTH = 0x6;
  /** Size of the header and of each entry. */
  static final int EXTENT_ENTRY_SIZE = 12;
  /** Value of eh_magic. */
  static final int EXTENT_MAGIC = 0xF30A;
  /** Deepest tree the kernel builds. */
  static final int EXTENT_MAX_DEPTH = 5;
  /** Index entry: u32 ei_block, u32 ei_leaf_lo, u16 ei_leaf_hi. */
  static final int EI_BLOCK = 0x0;
  static final int EI_LEAF_LO = 0x4;
  static final int EI_LEAF_HI = 0x8;
  /** Leaf entry: u32 ee_block, u16 ee_len, u16 ee_start_hi, u32 ee_start_lo. */
  static final int EE_BLOCK = 0x0;
  static final int EE_LEN = 0x4;
  static final int EE_START_HI = 0x6;
  static final int EE_START_LO = 0x8;
  /** ee_len above this marks an uninitialized extent of (ee_len - this) blocks. */
  static final int EXTENT_INIT_MAX_LEN = 32768;

  // ---- Directory entry (ext4_dir_entry_2). ----

  /** u32 inode (0: unused entry). */
  static final int DE_INODE = 0x0;
  /** u16 rec_len: distance to the next entry. */
  static final int DE_REC_LEN = 0x4;
  /** u8 name_len (u16 without the filetype feature). */
  static final int DE_NAME_LEN = 0x6;
  /** Name bytes. */
  static final int DE_NAME = 0x8;
  /** Inline directories start with the parent's u32 inode number instead of "." and "..". */
  static final int INLINE_DIR_PARENT_SIZE = 4;

  // ---- Extended attributes stored in the inode, after i_extra_isize. ----

  /** u32 magic opening the in-inode attribute area. */
  static final int XATTR_MAGIC = 0xEA020000;
  /** Entry: u8 name_len, u8 name_index, u16 value_offs, u32 value_inum, u32 value_size, ... */
  static final int XE_NAME_LEN = 0x0;
  static final int XE_NAME_INDEX = 0x1;
  static final int XE_VALUE_OFFS = 0x2;
  static final int XE_VALUE_INUM = 0x4;
  static final int XE_VALUE_SIZE = 0x8;
  static final int XE_NAME = 0x10;
  /** name_index of the "system." namespace, which holds "data" for inline files. */
  static final int XATTR_INDEX_SYSTEM = 7;
  /** Name (after the namespace) of the attribute continuing inline data. */
  static final String XATTR_INLINE_DATA_NAME = "data";

  // ---- JBD2 journal: every field BIG-endian. Blocks are journal-relative (logical blocks of
  // the journal inode). Each log block starts with a 12-byte header. ----

  /** be32 h_magic: {@link #JBD2_MAGIC}. */
  static final int JH_MAGIC = 0x0;
  /** be32 h_blocktype: one of the JBD2_*_BLOCK values. */
  static final int JH_BLOCKTYPE = 0x4;
  /** be32 h_sequence: transaction the block belongs to. */
  static final int JH_SEQUENCE = 0x8;
  /** Size of the header. */
  static final int JH_SIZE = 12;
  static final int JBD2_MAGIC = 0xC03B3998;
  static final int JBD2_DESCRIPTOR_BLOCK = 1;
  static final int JBD2_COMMIT_BLOCK = 2;
  static final int JBD2_SUPERBLOCK_V1 = 3;
  static final int JBD2_SUPERBLOCK_V2 = 4;
  static final int JBD2_REVOKE_BLOCK = 5;

  /** Journal superblock (journal block 0): be32 s_blocksize. */
  static final int JS_BLOCKSIZE = 0x0C;
  /** be32 s_maxlen: blocks in the journal. */
  static final int JS_MAXLEN = 0x10;
  /** be32 s_first: first block of the log. */
  static final int JS_FIRST = 0x14;
  /** be32 s_sequence: first transaction expected in the log. */
  static final int JS_SEQUENCE = 0x18;
  /** be32 s_start: block where the log starts; 0 means the journal is empty. */
  static final int JS_START = 0x1C;
  /** be32 s_feature_incompat (v2 superblocks). */
  static final int JS_FEATURE_INCOMPAT = 0x28;

  static final int JBD2_INCOMPAT_REVOKE = 0x1;
  static final int JBD2_INCOMPAT_64BIT = 0x2;
  static final int JBD2_INCOMPAT_ASYNC_COMMIT = 0x4;
  static final int JBD2_INCOMPAT_CSUM_V2 = 0x8;
  static final int JBD2_INCOMPAT_CSUM_V3 = 0x10;
  /** Fast-commit records past the log; replaying the log alone gives the last full commit. */
  static final int JBD2_INCOMPAT_FAST_COMMIT = 0x20;
  static final int JBD2_KNOWN_INCOMPAT = JBD2_INCOMPAT_REVOKE | JBD2_INCOMPAT_64BIT
      | JBD2_INCOMPAT_ASYNC_COMMIT | JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3
      | JBD2_INCOMPAT_FAST_COMMIT;

  /**
   * Descriptor block tag: be32 t_blocknr, then with csum_v3: be32 t_flags, be32 t_blocknr_high,
   * be32 t_checksum (16 bytes); otherwise be16 t_checksum, be16 t_flags, be32 t_blocknr_high
   * (the high word only with 64bit, the checksum only with csum_v2). A 16-byte UUID follows
   * every tag without {@link #JBD2_FLAG_SAME_UUID}.
   */
  static final int JT_BLOCKNR = 0x0;
  static final int JT3_FLAGS = 0x4;
  static final int JT3_BLOCKNR_HIGH = 0x8;
  static final int JT3_SIZE = 16;
  static final int JT_FLAGS = 0x6;
  static final int JT_BLOCKNR_HIGH = 0x8;
  static final int JT_UUID_SIZE = 16;
  /** Tag flag: the block began with {@link #JBD2_MAGIC}, which was zeroed in the log copy. */
  static final int JBD2_FLAG_ESCAPE = 0x1;
  static final int JBD2_FLAG_SAME_UUID = 0x2;
  static final int JBD2_FLAG_LAST_TAG = 0x8;
  /** csum_v2/v3 descriptor and revoke blocks end with a 4-byte checksum tail. */
  static final int JBD2_TAIL_SIZE = 4;
  /** Revoke block: be32 r_count, bytes used including the header; then be32/be64 blocks. */
  static final int JR_COUNT = 0x0C;
  static final int JR_RECORDS = 0x10;

  /** Most links followed while resolving one path, as Linux's MAXSYMLINKS. */
  static final int MAX_SYMLINKS = 40;

  /** Unsigned little-endian u16 at {@code at} of a little-endian buffer. */
  static int u16(ByteBuffer b, int at) {
    return Short.toUnsignedInt(b.getShort(at));
  }

  /** Unsigned u32 at {@code at} of a little-endian buffer. */
  static long u32(ByteBuffer b, int at) {
    return Integer.toUnsignedLong(b.getInt(at));
  }

  private static Map<Integer, String> names(Object... bitAndName) {
    Map<Integer, String> m = new LinkedHashMap<>();
    for (int i = 0; i < bitAndName.length; i += 2) {
      m.put((Integer) bitAndName[i], (String) bitAndName[i + 1]);
    }
    return Map.copyOf(m);
  }
}
