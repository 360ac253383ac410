package dev.carryon.sync.export;

import dev.carryon.testdata.fuzz.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * A whole guest disk's structures, read from its bytes directly (after the UEFI GPT layout, the
 * MBR and LVM2's on-disk format, independently of the readers under test): the fields those
 * readers trust, the checksums that guard them (recomputed after a mutation, so that mutations get
 * past the CRCs to the checks behind them), and the LVM metadata text, whose numbers are mutated as
 * text.
 */
final class DiskFields {
  private static final int SECTOR = 512;
  private static final byte[] GPT = "EFI PART".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LABEL = "LABELONE".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LVM2 = "LVM2 001".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EXT_MAGIC = {0x53, (byte) 0xEF};
  /** LVM2's calc_crc starts from this, with no final inversion. */
  private static final int LVM_INITIAL_CRC = 0xf597a6cf;
  /** Numbers written into the metadata text in place of one of its own. */
  private static final String[] TEXT_NUMBERS = {
    "0", "1", "-1", "2147483648", "4294967296", "9223372036854775807", "99999999999999999999", "07"
  };
  private static final Pattern NUMBER = Pattern.compile("-?[0-9]+");

  private DiskFields() {}

  /** The fields of the disk image {@code disk}, stored as {@code file} in the input. */
  static List<Field> of(String file, byte[] disk) {
    List<Field> f = new ArrayList<>();
    LE le = new LE(disk);
    for (int i = 0; i < 4; i++) {
      int e = 446 + 16 * i;
      f.add(new Field(file, e + 4, 1, false, "MBR entry " + i + " type"));
      f.add(new Field(file, e + 8, 4, false, "MBR entry " + i + " first sector"));
      f.add(new Field(file, e + 12, 4, false, "MBR entry " + i + " sectors"));
    }
    for (long h : gptHeaders(disk)) {
      int[][] header = {{12, 4}, {24, 8}, {32, 8}, {40, 8}, {48, 8}, {72, 8}, {80, 4}, {84, 4}};
      for (int[] x : header) {
        add(f, file, disk, h + x[0], x[1], "GPT header field " + x[0]);
      }
      long entries = le.u64(h + 72) * SECTOR;
      long size = le.u32(h + 84);
      for (int i = 0; i < 4 && size >= 128; i++) {
        add(f, file, disk, entries + i * size + 32, 8, "GPT entry " + i + " first LBA");
        add(f, file, disk, entries + i * size + 40, 8, "GPT entry " + i + " last LBA");
      }
    }
    for (long label : lvmLabels(disk)) {
      add(f, file, disk, label + 8, 8, "LVM label sector");
      add(f, file, disk, label + 20, 4, "LVM label PV header offset");
      long pv = label + le.u32(label + 20);
      for (int i = 0; i < 4; i++) {
        add(f, file, disk, pv + 32 + 8 + 16 * i, 8, "PV area " + i + " offset");
        add(f, file, disk, pv + 32 + 16 + 16 * i, 8, "PV area " + i + " size");
      }
      for (long mda : metadataAreas(disk, label)) {
        int[][] header = {{20, 4}, {24, 8}, {32, 8}, {40, 8}, {48, 8}, {60, 4}};
        for (int[] x : header) {
          add(f, file, disk, mda + x[0], x[1], "metadata area header field " + x[0]);
        }
      }
    }
    for (long at = 0; at + 2048 <= disk.length; at += 1024) {
      if (disk[(int) at + 1024 + 0x38] == EXT_MAGIC[0] && disk[(int) at + 1024 + 0x39] == EXT_MAGIC[1]) {
        f.addAll(Ext4Fields.of(file, disk, at));
      }
    }
    return f;
  }

  /**
   * {@code disk} with one number of the first LVM metadata text replaced (the text's size in its
   * header follows), or unchanged when it has none.
   */
  static byte[] mutateMetadataText(byte[] disk, Random random) {
    for (long label : lvmLabels(disk)) {
      for (long mda : metadataAreas(disk, label)) {
        LE le = new LE(disk);
        long at = mda + le.u64(mda + 40);
        long size = le.u64(mda + 48);
        if (le.u64(mda + 40) == 0 || size <= 0 || size > 1 << 20 || at + size > disk.length) {
          continue;
        }
        String text = new String(disk, (int) at, (int) size, StandardCharsets.ISO_8859_1);
        List<int[]> numbers = new ArrayList<>();
        for (Matcher m = NUMBER.matcher(text); m.find(); ) {
          numbers.add(new int[] {m.start(), m.end()});
        }
        if (numbers.isEmpty()) {
          continue;
        }
        int[] n = numbers.get(random.nextInt(numbers.size()));
        String old = text.substring(n[0], n[1]);
        String number = TEXT_NUMBERS[random.nextInt(TEXT_NUMBERS.length)];
        if (number.equals(old)) {
          number = old + "0";
        }
        String changed = text.substring(0, n[0]) + number + text.substring(n[1]);
        byte[] out = disk.clone();
        byte[] bytes = changed.getBytes(StandardCharsets.ISO_8859_1);
        if (at + bytes.length > out.length) {
          continue;
        }
        System.arraycopy(bytes, 0, out, (int) at, bytes.length);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong((int) mda + 48, bytes.length);
        return out;
      }
    }
    return disk;
  }

  /**
   * {@code disk} with every checksum made to match again: both GPT headers and their entry arrays,
   * and each LVM label, metadata area header and metadata text.
   */
  static byte[] withChecksums(byte[] disk) {
    byte[] out = disk.clone();
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    LE le = new LE(out);
    for (long h : gptHeaders(out)) {
      long entries = le.u64(h + 72) * SECTOR;
      long bytes = le.u32(h + 80) * le.u32(h + 84);
      if (entries > 0 && bytes > 0 && bytes <= 1 << 20 && entries + bytes <= out.length) {
        b.putInt((int) h + 88, (int) crc32(out, entries, (int) bytes));
      }
      long size = le.u32(h + 12);
      if (size >= 92 && size <= SECTOR) {
        b.putInt((int) h + 16, 0);
        b.putInt((int) h + 16, (int) crc32(out, h, (int) size));
      }
    }
    for (long label : lvmLabels(out)) {
      for (long mda : metadataAreas(out, label)) {
        long text = mda + le.u64(mda + 40);
        long size = le.u64(mda + 48);
        if (le.u64(mda + 40) != 0 && size > 0 && size <= 1 << 20 && text + size <= out.length) {
          b.putInt((int) mda + 56, lvmCrc(out, text, (int) size));
        }
        b.putInt((int) mda, lvmCrc(out, mda + 4, SECTOR - 4));
      }
      b.putInt((int) label + 16, lvmCrc(out, label + 20, SECTOR - 20));
    }
    return out;
  }

  /** Byte offsets of the GPT headers: LBA 1 and the last LBA, where they say "EFI PART". */
  private static List<Long> gptHeaders(byte[] disk) {
    List<Long> h = new ArrayList<>();
    for (long at : new long[] {SECTOR, (disk.length / SECTOR - 1L) * SECTOR}) {
      if (at > 0 && at + SECTOR <= disk.length && startsWith(disk, at, GPT)) {
        h.add(at);
      }
    }
    return h;
  }

  /** Byte offsets of LVM2 labels ("LABELONE" ... "LVM2 001") in any sector. */
  private static List<Long> lvmLabels(byte[] disk) {
    List<Long> labels = new ArrayList<>();
    for (long at = 0; at + SECTOR <= disk.length; at += SECTOR) {
      if (startsWith(disk, at, LABEL) && startsWith(disk, at + 24, LVM2)) {
        labels.add(at);
      }
    }
    return labels;
  }

  /** Byte offsets of the metadata area headers a PV header at {@code label} lists. */
  private static List<Long> metadataAreas(byte[] disk, long label) {
    LE le = new LE(disk);
    List<Long> areas = new ArrayList<>();
    long pvStart = label - le.u64(label + 8) * SECTOR;
    long at = label + le.u32(label + 20) + 40;
    boolean data = true;
    for (int n = 0; n < 16 && at + 16 <= label + SECTOR; n++, at += 16) {
      long offset = le.u64(at);
      if (offset == 0) {
        if (!data) {
          break;
        }
        data = false;
        continue;
      }
      long mda = pvStart + offset;
      if (!data && mda >= 0 && mda + SECTOR <= disk.length) {
        areas.add(mda);
      }
    }
    return areas;
  }

  private static boolean startsWith(byte[] disk, long at, byte[] prefix) {
    if (at < 0 || at + prefix.length > disk.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (disk[(int) at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static void add(List<Field> f, String file, byte[] disk, long at, int width, String name) {
    if (at >= 0 && at <= disk.length - (long) width) {
      f.add(new Field(file, at, width, false, name));
    }
  }

  private static long crc32(byte[] b, long from, int length) {
    CRC32 c = new CRC32();
    c.update(b, (int) from, length);
    return c.getValue();
  }

  /** LVM2's calc_crc: CRC-32 (reflected 0xEDB88320) from {@link #LVM_INITIAL_CRC}, no inversion. */
  private static int lvmCrc(byte[] b, long from, int length) {
    int c = LVM_INITIAL_CRC;
    for (int i = 0; i < length && from + i < b.length; i++) {
      c ^= b[(int) from + i] & 0xff;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? (c >>> 1) ^ 0xEDB88320 : c >>> 1;
      }
    }
    return c;
  }

  /** Little-endian reads that give 0 outside the disk. */
  private record LE(byte[] disk) {
    long u64(long at) {
      return at >= 0 && at <= disk.length - 8L
          ? ByteBuffer.wrap(disk).order(ByteOrder.LITTLE_ENDIAN).getLong((int) at) : 0;
    }

    long u32(long at) {
      return at >= 0 && at <= disk.length - 4L
          ? ByteBuffer.wrap(disk).order(ByteOrder.LITTLE_ENDIAN).getInt((int) at) & 0xffffffffL : 0;
    }
  }
}
