package dev.carryon.sync.export;

import dev.carryon.testdata.fuzz.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of an ext2/3/4 image the reader trusts, found by reading its bytes directly (after
 * the kernel's ext4 disk layout documentation, independently of the reader under test): the
 * superblock's geometry and features, the first group descriptors, the first inodes (mode, size,
 * flags, block pointers or extent header and extents, extra size), the entries of the
 * directories among them, and the journal superblock (big-endian, as JBD2 is).
 */
final class Ext4Fields {
  /** Inodes of the first group looked at: the reserved ones and the first files. */
  private static final int INODES = 24;

  private static final int EXTENTS_FL = 0x80000;

  private final String file;
  private final Bytes b;
  private final List<Field> fields = new ArrayList<>();

  private Ext4Fields(String file, byte[] content, long base) {
    this.file = file;
    this.b = new Bytes(content, base);
  }

  /** The fields of the ext2/3/4 image {@code content}, stored as {@code file} in the input. */
  static List<Field> of(String file, byte[] content) {
    return of(file, content, 0);
  }

  /** The fields of the file system at byte {@code base} of {@code content} (a partition, an LV). */
  static List<Field> of(String file, byte[] content, long base) {
    Ext4Fields f = new Ext4Fields(file, content, base);
    f.find();
    return f.fields;
  }

  private void find() {
    long sb = 1024;
    int[][] superFields = {
      {0x00, 4}, {0x04, 4}, {0x14, 4}, {0x18, 4}, {0x1C, 4}, {0x20, 4}, {0x28, 4}, {0x38, 2}, {0x4C, 4},
      {0x54, 4}, {0x58, 2}, {0x5C, 4}, {0x60, 4}, {0x64, 4}, {0xE0, 4}, {0xFE, 2}, {0x104, 4}, {0x150, 4},
      {0x24C, 4}, {0x250, 4}
    };
    for (int[] sf : superFields) {
      add(sb + sf[0], sf[1], false, "superblock field 0x" + Integer.toHexString(sf[0]));
    }
    long logBlock = b.u32(sb + 0x18);
    if (logBlock > 6) {
      return;
    }
    long bs = 1024L << logBlock;
    boolean is64 = (b.u32(sb + 0x60) & 0x80) != 0;
    long descSize = is64 ? b.u16(sb + 0xFE) : 32;
    long inodeSize = b.u32(sb + 0x4C) == 0 ? 128 : b.u16(sb + 0x58);
    long inodesPerGroup = b.u32(sb + 0x28);
    if (descSize < 32 || descSize > bs || inodeSize < 128 || inodeSize > bs) {
      return;
    }
    long gdt = (1024 / bs + 1) * bs;
    for (int g = 0; g < 4; g++) {
      long d = gdt + g * descSize;
      add(d, 4, false, "group " + g + " block bitmap");
      add(d + 8, 4, false, "group " + g + " inode table");
      add(d + 0x12, 2, false, "group " + g + " flags");
      if (descSize >= 64) {
        add(d + 0x28, 4, false, "group " + g + " inode table (high)");
      }
    }
    long table = b.u32(gdt + 8) * bs;
    for (int i = 1; i <= Math.min(INODES, inodesPerGroup); i++) {
      inode(i, table + (i - 1) * inodeSize, inodeSize, bs);
    }
  }

  private void inode(int number, long at, long inodeSize, long bs) {
    int mode = (int) b.u16(at);
    if (mode == 0) {
      return;
    }
    String what = "inode " + number;
    add(at, 2, false, what + " mode");
    add(at + 4, 4, false, what + " size");
    add(at + 0x1A, 2, false, what + " links");
    add(at + 0x20, 4, false, what + " flags");
    add(at + 0x6C, 4, false, what + " size (high)");
    if (inodeSize > 128) {
      add(at + 0x80, 2, false, what + " extra size");
    }
    long flags = b.u32(at + 0x20);
    long iBlock = at + 0x28;
    long firstBlock;
    if ((flags & EXTENTS_FL) != 0) {
      add(iBlock + 2, 2, false, what + " extent entries");
      add(iBlock + 4, 2, false, what + " extent max");
      add(iBlock + 6, 2, false, what + " extent depth");
      for (int e = 0; e < 4; e++) {
        long x = iBlock + 12 + 12L * e;
        add(x, 4, false, what + " extent " + e + " logical block");
        add(x + 4, 2, false, what + " extent " + e + " length");
        add(x + 6, 2, false, what + " extent " + e + " start (high)");
        add(x + 8, 4, false, what + " extent " + e + " start");
      }
      firstBlock = b.u16(iBlock + 6) == 0 ? b.u32(iBlock + 20) | b.u16(iBlock + 18) << 32 : 0;
    } else {
      for (int p = 0; p < 15; p++) {
        add(iBlock + 4L * p, 4, false, what + " block pointer " + p);
      }
      firstBlock = b.u32(iBlock);
    }
    boolean directory = (mode & 0xF000) == 0x4000;
    if (directory && firstBlock != 0) {
      directory(what, firstBlock * bs, bs);
    }
    if (number == 8 && firstBlock != 0) {
      long j = firstBlock * bs;
      int[][] journalFields = {{0x4, 4}, {0xC, 4}, {0x10, 4}, {0x14, 4}, {0x18, 4}, {0x1C, 4}, {0x28, 4}};
      for (int[] jf : journalFields) {
        add(j + jf[0], jf[1], true, "journal superblock field 0x" + Integer.toHexString(jf[0]));
      }
    }
  }

  private void directory(String what, long block, long bs) {
    long at = block;
    for (int n = 0; n < 16 && at + 8 <= block + bs; n++) {
      add(at, 4, false, what + " entry " + n + " inode");
      add(at + 4, 2, false, what + " entry " + n + " rec_len");
      add(at + 6, 1, false, what + " entry " + n + " name_len");
      add(at + 7, 1, false, what + " entry " + n + " file type");
      long recLen = b.u16(at + 4);
      if (recLen < 12) {
        break;
      }
      at += recLen;
    }
  }

  private void add(long offset, int width, boolean bigEndian, String name) {
    long at = b.base + offset;
    if (offset >= 0 && at <= b.content.length - (long) width) {
      fields.add(new Field(file, at, width, bigEndian, name));
    }
  }

  /** Little-endian reads relative to the file system's start that give 0 outside the content. */
  private record Bytes(byte[] content, long base) {
    long u32(long at) {
      long p = base + at;
      return at >= 0 && p <= content.length - 4L
          ? ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).getInt((int) p) & 0xffffffffL : 0;
    }

    long u16(long at) {
      long p = base + at;
      return at >= 0 && p <= content.length - 2L
          ? ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).getShort((int) p) & 0xffffL : 0;
    }
  }
}
