package dev.carryon.sync.disk;

import dev.carryon.sync.ext4.BlockDevice;
import dev.carryon.sync.lvm.Lvm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What a volume holds, told by its superblock's magic as blkid tells it, with the label and UUID
 * an fstab may name it by. Offsets are from the start of the volume.
 */
public enum FsType {
  /** ext2, ext3 or ext4: read in pure Java. */
  EXT("ext2/3/4"),
  XFS("XFS"),
  BTRFS("btrfs"),
  VFAT("FAT"),
  NTFS("NTFS"),
  SWAP("swap"),
  /** An LVM2 physical volume: its logical volumes are the volumes. */
  LVM_PV("LVM2 physical volume"),
  /** Nothing recognised: empty, encrypted, or a file system not listed here. */
  UNKNOWN("unknown contents");

  /** How messages name it. */
  private final String display;

  FsType(String display) {
    this.display = display;
  }

  /** How messages name it: "XFS", "ext2/3/4". */
  public String display() {
    return display;
  }

  /** Whether it is a file system files can be exported from. */
  public boolean isFilesystem() {
    return this != SWAP && this != LVM_PV && this != UNKNOWN;
  }

  /** Whether carryon reads it without libguestfs. */
  public boolean readInJava() {
    return this == EXT;
  }

  /**
   * What a volume holds.
   *
   * @param type its type
   * @param label its file system label, empty when none
   * @param uuid its file system UUID in blkid's form (lowercase), empty when none
   */
  public record Probe(FsType type, String label, String uuid) {}

  /** ext superblock at 1024: u16 magic 0xEF53 at 0x38, UUID at 0x68, label (16) at 0x78. */
  private static final int EXT_SB = 1024;
  /** XFS superblock at 0: "XFSB", UUID at 32, label (12) at 108. */
  private static final byte[] XFS_MAGIC = ascii("XFSB");
  /** btrfs superblock at 64 KiB: "_BHRfS_M" at 0x40, fsid at 0x20, label (256) at 0x12B. */
  private static final int BTRFS_SB = 0x10000;
  private static final byte[] BTRFS_MAGIC = ascii("_BHRfS_M");
  /** Swap: "SWAPSPACE2" ending the first 4 KiB page; UUID at 1024+12, label (16) at 1024+28. */
  private static final byte[] SWAP_MAGIC = ascii("SWAPSPACE2");
  /** NTFS boot sector: "NTFS    " at 3. */
  private static final byte[] NTFS_MAGIC = ascii("NTFS    ");
  /** FAT boot sector: "FAT32   " at 82 (volume id at 67, label at 71) or "FAT1" at 54 (39, 43). */
  private static final byte[] FAT32_MAGIC = ascii("FAT32   ");
  private static final byte[] FAT_MAGIC = ascii("FAT1");

  /** Reads the superblock areas of {@code volume} and tells what it holds. */
  public static Probe probe(BlockDevice volume) throws IOException {
    long size = volume.size();
    if (size >= 2048) {
      ByteBuffer sb = read(volume, EXT_SB, 1024);
      if ((sb.getShort(0x38) & 0xFFFF) == 0xEF53) {
        return new Probe(EXT, text(sb, 0x78, 16), uuid(sb, 0x68));
      }
    }
    if (Lvm.isPhysicalVolume(volume)) {
      return new Probe(LVM_PV, "", "");
    }
    if (size >= 512) {
      ByteBuffer s0 = read(volume, 0, 512);
      if (at(s0, 0, XFS_MAGIC)) {
        return new Probe(XFS, text(s0, 108, 12), uuid(s0, 32));
      }
      if (at(s0, 3, NTFS_MAGIC)) {
        return new Probe(NTFS, "", "");
      }
      if (at(s0, 82, FAT32_MAGIC)) {
        return new Probe(VFAT, text(s0, 71, 11).strip(), fatId(s0, 67));
      }
      if (at(s0, 54, FAT_MAGIC)) {
        return new Probe(VFAT, text(s0, 43, 11).strip(), fatId(s0, 39));
      }
    }
    if (size >= BTRFS_SB + 4096) {
      ByteBuffer sb = read(volume, BTRFS_SB, 4096);
      if (at(sb, 0x40, BTRFS_MAGIC)) {
        return new Probe(BTRFS, text(sb, 0x12B, 256), uuid(sb, 0x20));
      }
    }
    if (size >= 4096) {
      ByteBuffer page = read(volume, 0, 4096);
      if (at(page, 4096 - SWAP_MAGIC.length, SWAP_MAGIC)) {
        return new Probe(SWAP, text(page, 1024 + 28, 16), uuid(page, 1024 + 12));
      }
    }
    return new Probe(UNKNOWN, "", "");
  }

  private static ByteBuffer read(BlockDevice d, long offset, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    d.read(b, offset);
    return b.flip();
  }

  private static boolean at(ByteBuffer b, int offset, byte[] magic) {
    for (int i = 0; i < magic.length; i++) {
      if (b.get(offset + i) != magic[i]) {
        return false;
      }
    }
    return true;
  }

  /** A NUL-padded UTF-8 field. */
  private static String text(ByteBuffer b, int offset, int length) {
    int n = 0;
    while (n < length && b.get(offset + n) != 0) {
      n++;
    }
    byte[] raw = new byte[n];
    b.get(offset, raw);
    return new String(raw, StandardCharsets.UTF_8);
  }

  /** 16 bytes in big-endian order as blkid prints a file system UUID; empty when all zero. */
  private static String uuid(ByteBuffer b, int offset) {
    StringBuilder s = new StringBuilder();
    boolean zero = true;
    for (int i = 0; i < 16; i++) {
      int v = b.get(offset + i) & 0xFF;
      zero &= v == 0;
      if (i == 4 || i == 6 || i == 8 || i == 10) {
        s.append('-');
      }
      s.append(String.format(Locale.ROOT, "%02x", v));
    }
    return zero ? "" : s.toString();
  }

  /** A FAT volume id as blkid prints it: "ABCD-EF01". */
  private static String fatId(ByteBuffer b, int offset) {
    int id = b.getInt(offset);
    return String.format(Locale.ROOT, "%04X-%04X", (id >>> 16) & 0xFFFF, id & 0xFFFF);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
