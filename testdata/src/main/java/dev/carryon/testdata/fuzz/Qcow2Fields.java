package dev.carryon.testdata.fuzz;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of a qcow2 image a reader trusts, found by reading the image's bytes directly (after
 * QEMU's docs/interop/qcow2.txt, independently of the engine under test): the header's sizes,
 * offsets and feature bits, the header extensions' types and lengths, L1 entries, some L2 entries,
 * refcount table entries, the first refcount block's entries and the snapshot table's fixed fields.
 */
public final class Qcow2Fields {
  /** At most this many entries of one table become fields (the first ones, where data is). */
  private static final int PER_TABLE = 48;

  private static final long OFFSET_MASK = 0x00fffffffffffe00L;

  private Qcow2Fields() {}

  /** The fields of the qcow2 image {@code content}, stored as {@code file} in the input. */
  public static List<Field> of(String file, byte[] content) {
    Fields f = new Fields(file, content.length);
    Bytes b = new Bytes(content);
    if (content.length < 72) {
      return f.list;
    }
    int version = b.getInt(4);
    f.add(4, 4, "version");
    f.add(8, 8, "backing_file_offset");
    f.add(16, 4, "backing_file_size");
    f.add(20, 4, "cluster_bits");
    f.add(24, 8, "size");
    f.add(32, 4, "crypt_method");
    f.add(36, 4, "l1_size");
    f.add(40, 8, "l1_table_offset");
    f.add(48, 8, "refcount_table_offset");
    f.add(56, 4, "refcount_table_clusters");
    f.add(60, 4, "nb_snapshots");
    f.add(64, 8, "snapshots_offset");
    int headerLength = 72;
    if (version >= 3 && content.length >= 104) {
      f.add(72, 8, "incompatible_features");
      f.add(80, 8, "compatible_features");
      f.add(88, 8, "autoclear_features");
      f.add(96, 4, "refcount_order");
      f.add(100, 4, "header_length");
      f.add(104, 1, "compression_type");
      headerLength = b.getInt(100);
    }
    int clusterBits = b.getInt(20);
    if (clusterBits < 9 || clusterBits > 21) {
      return f.list;
    }
    long clusterSize = 1L << clusterBits;
    for (long at = headerLength; at >= 0 && at + 8 <= Math.min(clusterSize, content.length); ) {
      int type = b.getInt(at);
      int length = b.getInt(at + 4);
      f.add(at, 4, "extension type");
      f.add(at + 4, 4, "extension length");
      if (type == 0 || length < 0) {
        break;
      }
      at += 8 + (length + 7L) / 8 * 8;
    }
    boolean extended = version >= 3 && (b.getLong(72) & (1L << 4)) != 0;
    int entryBytes = extended ? 16 : 8;
    long l1 = b.getLong(40);
    int l1Size = b.getInt(36);
    int l2Fields = 0;
    for (int i = 0; i < Math.min(l1Size, PER_TABLE); i++) {
      long at = l1 + 8L * i;
      if (!f.add(at, 8, "L1 entry " + i)) {
        break;
      }
      long l2 = b.getLong(at) & OFFSET_MASK;
      for (long j = 0; l2 != 0 && j < clusterSize / entryBytes && l2Fields < 4 * PER_TABLE; j++) {
        long e = l2 + j * entryBytes;
        if (e + entryBytes > content.length) {
          break;
        }
        if (b.getLong(e) != 0 || (extended && b.getLong(e + 8) != 0) || j < 2) {
          f.add(e, 8, "L2 entry " + j + " of table " + i);
          if (extended) {
            f.add(e + 8, 8, "L2 bitmap " + j + " of table " + i);
          }
          l2Fields++;
        }
      }
    }
    long rt = b.getLong(48);
    int refcountOrder = version >= 3 && content.length >= 104 ? b.getInt(96) : 4;
    for (int i = 0; i < PER_TABLE; i++) {
      long at = rt + 8L * i;
      if (at + 8 > content.length || at < 0) {
        break;
      }
      long block = b.getLong(at) & OFFSET_MASK;
      f.add(at, 8, "refcount table entry " + i);
      if (i == 0 && block != 0 && refcountOrder >= 3 && refcountOrder <= 6) {
        int width = 1 << (refcountOrder - 3);
        for (int j = 0; j < PER_TABLE; j++) {
          f.add(block + (long) j * width, width, "refcount " + j);
        }
      }
      if (block == 0) {
        break;
      }
    }
    long snapshots = b.getLong(64);
    int nbSnapshots = b.getInt(60);
    for (int i = 0; i < Math.min(nbSnapshots, 4) && snapshots > 0 && snapshots + 40 <= content.length; i++) {
      f.add(snapshots, 8, "snapshot l1_table_offset");
      f.add(snapshots + 8, 4, "snapshot l1_size");
      f.add(snapshots + 12, 2, "snapshot id_str_size");
      f.add(snapshots + 14, 2, "snapshot name_size");
      f.add(snapshots + 36, 4, "snapshot extra_data_size");
      long size = 40L + (b.getInt(snapshots + 36) & 0xffffffffL) + (b.getShort(snapshots + 12) & 0xffff)
          + (b.getShort(snapshots + 14) & 0xffff);
      snapshots += (size + 7) / 8 * 8;
    }
    return f.list;
  }

  /** Big-endian reads that give 0 outside the content (a mutated image points anywhere). */
  private record Bytes(byte[] content) {
    long getLong(long at) {
      return at >= 0 && at <= content.length - 8L ? ByteBuffer.wrap(content).getLong((int) at) : 0;
    }

    int getInt(long at) {
      return at >= 0 && at <= content.length - 4L ? ByteBuffer.wrap(content).getInt((int) at) : 0;
    }

    short getShort(long at) {
      return at >= 0 && at <= content.length - 2L ? ByteBuffer.wrap(content).getShort((int) at) : 0;
    }
  }

  /** The fields found so far in one file. */
  private static final class Fields {
    private final List<Field> list = new ArrayList<>();
    private final String file;
    private final long length;

    Fields(String file, long length) {
      this.file = file;
      this.length = length;
    }

    /** Adds the field when the content holds it; returns whether it did. */
    boolean add(long offset, int width, String name) {
      if (offset < 0 || offset > length - width) {
        return false;
      }
      list.add(new Field(file, offset, width, true, name));
      return true;
    }
  }
}
