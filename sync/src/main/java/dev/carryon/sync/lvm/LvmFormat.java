package dev.carryon.sync.lvm;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * On-disk constants of an LVM2 physical volume, as LVM2's lib/label/label.h and
 * lib/format_text/layout.h define them. All multi-byte fields are little-endian. Offsets are in
 * bytes from the start of the structure named by the group they sit in.
 */
final class LvmFormat {
  private LvmFormat() {}

  /** Sector size LVM2 counts pe_start, extents and label positions in. */
  static final int SECTOR = 512;

  // ---- Label header: in one of the first four sectors of the device. ----

  /** Sectors searched for the label. */
  static final int LABEL_SCAN_SECTORS = 4;
  /** 8-byte "LABELONE". */
  static final int L_ID = 0;
  static final byte[] LABEL_ID = "LABELONE".getBytes(StandardCharsets.US_ASCII);
  /** u64 sector the label says it is in. */
  static final int L_SECTOR = 8;
  /** u32 CRC of the sector from L_OFFSET to its end. */
  static final int L_CRC = 16;
  /** u32 offset of the PV header from the start of the label. */
  static final int L_OFFSET = 20;
  /** 8-byte label type "LVM2 001". */
  static final int L_TYPE = 24;
  static final byte[] LABEL_TYPE = "LVM2 001".getBytes(StandardCharsets.US_ASCII);

  // ---- PV header: after the label header, in the same sector. ----

  /** 32-character PV UUID, without the dashes the metadata text writes. */
  static final int PV_UUID = 0;
  static final int ID_LEN = 32;
  /** u64 device size in bytes. */
  static final int PV_DEVICE_SIZE = 32;
  /**
   * Two lists of disk_locn (u64 offset, u64 size), each ended by an all-zero entry: data areas,
   * then metadata areas.
   */
  static final int PV_AREAS = 40;
  /** Bytes of one disk_locn. */
  static final int LOCN_SIZE = 16;

  // ---- Metadata area header: one sector at the start of each metadata area. ----

  /** u32 CRC of the rest of the header (from MDA_MAGIC to the sector's end). */
  static final int MDA_CRC = 0;
  /** 16-byte magic. */
  static final int MDA_MAGIC = 4;
  static final byte[] FMTT_MAGIC = " LVM2 x[5A%r0N*>".getBytes(StandardCharsets.US_ASCII);
  /** u32 version: 1. */
  static final int MDA_VERSION = 20;
  static final int FMTT_VERSION = 1;
  /** u64 absolute start of the area (where this header is). */
  static final int MDA_START = 24;
  /** u64 size of the area, header included. */
  static final int MDA_SIZE = 32;
  /** raw_locn list: u64 offset from MDA_START, u64 size, u32 CRC of the text, u32 flags. */
  static final int MDA_RAW_LOCNS = 40;
  static final int RAW_LOCN_SIZE = 24;
  /** raw_locn flag: the copy in this area is not kept up to date. */
  static final int RAW_LOCN_IGNORED = 1;
  /** The header's size; text wrapping past the area's end continues right after it. */
  static final int MDA_HEADER_SIZE = 512;
  /** Largest metadata text read: more is damage (LVM2's default area is 1 MiB). */
  static final int MAX_METADATA_BYTES = 16 << 20;

  /** LVM2's calc_crc over {@code len} bytes from {@code b}'s position, continuing {@code crc}. */
  static int crc(int crc, ByteBuffer b, int len) {
    int c = crc;
    for (int i = 0; i < len; i++) {
      c ^= b.get(b.position() + i) & 0xFF;
      c = (c >>> 4) ^ CRC_TABLE[c & 0xF];
      c = (c >>> 4) ^ CRC_TABLE[c & 0xF];
    }
    return c;
  }

  /** The value calc_crc starts from. */
  static final int INITIAL_CRC = 0xf597a6cf;

  /** CRC-32 (reflected polynomial 0xEDB88320) four bits at a time, as LVM2 computes it. */
  private static final int[] CRC_TABLE = new int[16];

  static {
    for (int i = 0; i < 16; i++) {
      int c = i;
      for (int k = 0; k < 4; k++) {
        c = (c & 1) != 0 ? (c >>> 1) ^ 0xEDB88320 : c >>> 1;
      }
      CRC_TABLE[i] = c;
    }
  }

  /** Whether {@code b} holds {@code expected} at {@code at}. */
  static boolean bytesAt(ByteBuffer b, int at, byte[] expected) {
    for (int i = 0; i < expected.length; i++) {
      if (b.get(at + i) != expected[i]) {
        return false;
      }
    }
    return true;
  }
}
