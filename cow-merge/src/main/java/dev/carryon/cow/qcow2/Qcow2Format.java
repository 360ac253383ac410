package dev.carryon.cow.qcow2;

/**
 * Constants of the qcow2 format (QEMU docs/interop/qcow2.txt), shared by the reader, the writer,
 * the checker and the creator. Offsets are byte offsets into the header unless said otherwise.
 */
final class Qcow2Format {
  /** "QFI\xfb" at byte 0. */
  static final int MAGIC = 0x514649fb;

  static final int OFF_MAGIC = 0;
  static final int OFF_VERSION = 4;
  static final int OFF_BACKING_FILE_OFFSET = 8;
  static final int OFF_BACKING_FILE_SIZE = 16;
  static final int OFF_CLUSTER_BITS = 20;
  static final int OFF_SIZE = 24;
  static final int OFF_CRYPT_METHOD = 32;
  static final int OFF_L1_SIZE = 36;
  static final int OFF_L1_TABLE_OFFSET = 40;
  static final int OFF_REFCOUNT_TABLE_OFFSET = 48;
  static final int OFF_REFCOUNT_TABLE_CLUSTERS = 56;
  static final int OFF_NB_SNAPSHOTS = 60;
  static final int OFF_SNAPSHOTS_OFFSET = 64;
  /** Version 3 fields start here; a version 2 header ends here. */
  static final int OFF_INCOMPATIBLE_FEATURES = 72;
  static final int OFF_COMPATIBLE_FEATURES = 80;
  static final int OFF_AUTOCLEAR_FEATURES = 88;
  static final int OFF_REFCOUNT_ORDER = 96;
  static final int OFF_HEADER_LENGTH = 100;
  /** Optional one-byte field, present when header_length > 104. */
  static final int OFF_COMPRESSION_TYPE = 104;

  static final int V2_HEADER_LENGTH = 72;
  static final int V3_MIN_HEADER_LENGTH = 104;
  /** What QEMU writes for version 3: the fields above plus the compression type, padded to 8. */
  static final int V3_HEADER_LENGTH = 112;

  static final int MIN_CLUSTER_BITS = 9;
  static final int MAX_CLUSTER_BITS = 21;
  /** Extended L2 entries need clusters of at least 16 KiB (32 subclusters of 512 bytes). */
  static final int MIN_EXTENDED_L2_CLUSTER_BITS = 14;
  static final int MAX_REFCOUNT_ORDER = 6;
  static final int V2_REFCOUNT_ORDER = 4;
  static final int MAX_BACKING_FILE_NAME = 1023;
  /** QEMU's limits on internal snapshots: their number, and extra data per table entry. */
  static final int MAX_SNAPSHOTS = 65536;
  static final int MAX_SNAPSHOT_EXTRA_DATA = 1024;
  /** Fixed part of a snapshot table entry; the id, name and extra data follow it. */
  static final int SNAPSHOT_HEADER_BYTES = 40;
  /** QEMU's limits: 32 MiB of L1 table, 8 MiB of refcount table. */
  static final long MAX_L1_BYTES = 32L << 20;
  static final long MAX_REFCOUNT_TABLE_BYTES = 8L << 20;

  static final long INCOMPAT_DIRTY = 1L;
  static final long INCOMPAT_CORRUPT = 1L << 1;
  static final long INCOMPAT_DATA_FILE = 1L << 2;
  static final long INCOMPAT_COMPRESSION = 1L << 3;
  static final long INCOMPAT_EXTL2 = 1L << 4;
  static final long INCOMPAT_KNOWN =
      INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;
  static final long COMPAT_LAZY_REFCOUNTS = 1L;

  static final int COMPRESSION_ZLIB = 0;
  static final int COMPRESSION_ZSTD = 1;

  /** Header extension types. */
  static final int EXT_END = 0;
  static final int EXT_BACKING_FORMAT = 0xe2792aca;
  static final int EXT_FEATURE_TABLE = 0x6803f857;
  static final int EXT_DATA_FILE = 0x44415441;
  /** Full disk encryption header pointer: offset u64, length u64 of the LUKS header's clusters. */
  static final int EXT_CRYPTO_HEADER = 0x0537be77;
  static final int CRYPTO_HEADER_EXT_LENGTH = 16;

  /** crypt_method values: none, the legacy AES-CBC QEMU no longer runs, LUKS. */
  static final int CRYPT_NONE = 0;
  static final int CRYPT_AES = 1;
  static final int CRYPT_LUKS = 2;

  /** L1 and refcount table entries: bits 9-55 hold a cluster-aligned offset. */
  static final long OFFSET_MASK = 0x00fffffffffffe00L;
  /** L1/L2 entry bit 63: refcount is exactly one, the table or cluster may be written in place. */
  static final long COPIED = 1L << 63;
  /** L2 entry bit 62: the cluster is compressed. */
  static final long COMPRESSED = 1L << 62;
  /** L2 entry bit 0 (version 3, standard L2): the cluster reads as zeros. */
  static final long ZERO = 1L;
  /** Bits 1-8 and 56-61 of a standard L2 entry are reserved. */
  static final long L2_RESERVED = 0x3f000000000001feL;

  /** Subclusters per cluster with extended L2 entries. */
  static final int SUBCLUSTERS = 32;
  /** Extended L2 bitmap: low half "allocated", high half "reads as zeros". */
  static final long SUBCLUSTERS_ALLOCATED = 0xffffffffL;
  static final long SUBCLUSTERS_ZERO = 0xffffffffL << 32;

  /** Compressed data is addressed in 512-byte sectors. */
  static final int SECTOR = 512;

  private Qcow2Format() {}
}
