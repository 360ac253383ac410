package dev.carryon.sync.partition;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Map;

/**
 * On-disk constants of the two partition table formats: the MBR (with extended boot records for
 * logical partitions) and the UEFI GUID Partition Table (UEFI specification 2.10, chapter 5).
 * All multi-byte fields are little-endian. Offsets are in bytes from the start of the structure
 * named by the group they sit in.
 */
final class PartitionFormat {
  private PartitionFormat() {}

  /** Logical sector size assumed for MBR disks and tried first for GPT. */
  static final int SECTOR = 512;
  /** The other logical sector size a GPT is looked for with (4Kn disks). */
  static final int LARGE_SECTOR = 4096;

  // ---- MBR and EBR: one 512-byte sector. ----

  /** u32 disk signature; blkid's PARTUUID of an MBR partition is built from it. */
  static final int MBR_DISK_SIGNATURE = 440;
  /** First of the four 16-byte partition entries. */
  static final int MBR_TABLE = 446;
  /** Bytes per MBR partition entry. */
  static final int MBR_ENTRY_SIZE = 16;
  /** Entries in an MBR or EBR. */
  static final int MBR_ENTRIES = 4;
  /** u16 boot signature. */
  static final int MBR_SIGNATURE_OFFSET = 510;
  /** The boot signature's value: bytes 0x55 0xAA. */
  static final int MBR_SIGNATURE = 0xAA55;

  /** u8 status in an entry: 0x00 inactive, 0x80 bootable; anything else is no partition table. */
  static final int E_STATUS = 0;
  /** u8 partition type. */
  static final int E_TYPE = 4;
  /** u32 first sector: absolute in the MBR, relative to the EBR (logical) or the extended one. */
  static final int E_FIRST = 8;
  /** u32 number of sectors. */
  static final int E_SECTORS = 12;

  /** Type of an unused entry. */
  static final int TYPE_EMPTY = 0x00;
  /** Type of the protective entry covering a GPT disk. */
  static final int TYPE_GPT_PROTECTIVE = 0xEE;

  /** Whether an MBR type is an extended partition holding a chain of EBRs. */
  static boolean isExtended(int type) {
    return type == 0x05 || type == 0x0F || type == 0x85;
  }

  /** Logical partitions followed at most: more is a looping or absurd EBR chain. */
  static final int MAX_LOGICAL = 256;

  // ---- GPT header: at LBA 1 (primary) and at the last LBA (backup). ----

  /** u64 signature "EFI PART". */
  static final int H_SIGNATURE = 0;
  /** The signature's value, read little-endian. */
  static final long GPT_SIGNATURE = 0x5452415020494645L;
  /** u32 revision (1.0 is 0x00010000). */
  static final int H_REVISION = 8;
  /** u32 header size in bytes, 92 up to the sector size. */
  static final int H_SIZE = 12;
  /** u32 CRC-32 of the header's H_SIZE bytes, computed with this field zero. */
  static final int H_CRC = 16;
  /** u64 LBA of this header. */
  static final int H_MY_LBA = 24;
  /** u64 LBA of the other header. */
  static final int H_ALTERNATE_LBA = 32;
  /** u64 first LBA a partition may use. */
  static final int H_FIRST_USABLE = 40;
  /** u64 last LBA a partition may use. */
  static final int H_LAST_USABLE = 48;
  /** 16-byte disk GUID. */
  static final int H_DISK_GUID = 56;
  /** u64 LBA of this header's partition entry array. */
  static final int H_ENTRIES_LBA = 72;
  /** u32 number of entries in the array. */
  static final int H_ENTRY_COUNT = 80;
  /** u32 bytes per entry: 128 times a power of two. */
  static final int H_ENTRY_SIZE = 84;
  /** u32 CRC-32 of the entry array (H_ENTRY_COUNT * H_ENTRY_SIZE bytes). */
  static final int H_ENTRIES_CRC = 88;
  /** Smallest valid header. */
  static final int HEADER_MIN_SIZE = 92;
  /** Largest entry array read: a larger one is damage, not a disk (the usual one is 16 KiB). */
  static final int MAX_ENTRIES_BYTES = 1 << 20;

  // ---- GPT partition entry. ----

  /** 16-byte partition type GUID; all zero marks an unused entry. */
  static final int P_TYPE = 0;
  /** 16-byte unique partition GUID (blkid's PARTUUID). */
  static final int P_UNIQUE = 16;
  /** u64 first LBA. */
  static final int P_FIRST = 32;
  /** u64 last LBA, inclusive. */
  static final int P_LAST = 40;
  /** Name: 36 UTF-16LE code units, NUL-padded (blkid's PARTLABEL). */
  static final int P_NAME = 56;
  /** Bytes of the name field. */
  static final int P_NAME_BYTES = 72;
  /** Smallest entry size. */
  static final int ENTRY_MIN_SIZE = 128;

  /** Names of the MBR types a VM disk usually holds, as fdisk prints them. */
  static final Map<Integer, String> MBR_TYPES =
      Map.ofEntries(
          Map.entry(0x05, "Extended"),
          Map.entry(0x06, "FAT16"),
          Map.entry(0x07, "HPFS/NTFS/exFAT"),
          Map.entry(0x0B, "W95 FAT32"),
          Map.entry(0x0C, "W95 FAT32 (LBA)"),
          Map.entry(0x0E, "W95 FAT16 (LBA)"),
          Map.entry(0x0F, "W95 Ext'd (LBA)"),
          Map.entry(0x82, "Linux swap"),
          Map.entry(0x83, "Linux"),
          Map.entry(0x85, "Linux extended"),
          Map.entry(0x8E, "Linux LVM"),
          Map.entry(0xEF, "EFI (FAT-12/16/32)"),
          Map.entry(0xFD, "Linux raid autodetect"));

  /** Names of the GPT types a VM disk usually holds, as sfdisk prints them. */
  static final Map<String, String> GPT_TYPES =
      Map.ofEntries(
          Map.entry("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI System"),
          Map.entry("21686148-6449-6E6F-744E-656564454649", "BIOS boot"),
          Map.entry("0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem"),
          Map.entry("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "Linux root (x86-64)"),
          Map.entry("44479540-F297-41B2-9AF7-D131D5F0458A", "Linux root (x86)"),
          Map.entry("B921B045-1DF0-41C3-AF44-4C6F280D3FAE", "Linux root (ARM-64)"),
          Map.entry("933AC7E1-2EB4-4F13-B844-0E14E2AEF915", "Linux home"),
          Map.entry("3B8F8425-20E0-4F3B-907F-1A25A76F98E8", "Linux server data"),
          Map.entry("4D21B016-B534-45C2-A9FB-5C16E091FD2D", "Linux variable data"),
          Map.entry("BC13C2FF-59E6-4262-A352-B275FD6F7172", "Linux extended boot"),
          Map.entry("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap"),
          Map.entry("E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM"),
          Map.entry("A19D880F-05FC-4D3B-A006-743F0F84911E", "Linux RAID"),
          Map.entry("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Microsoft basic data"),
          Map.entry("E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved"));

  /** The GUID at {@code at}, in the usual text form (first three fields little-endian). */
  static String guid(ByteBuffer b, int at) {
    return String.format(
        Locale.ROOT,
        "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
        b.getInt(at),
        b.getShort(at + 4),
        b.getShort(at + 6),
        b.get(at + 8),
        b.get(at + 9),
        b.get(at + 10),
        b.get(at + 11),
        b.get(at + 12),
        b.get(at + 13),
        b.get(at + 14),
        b.get(at + 15));
  }

  static int u8(ByteBuffer b, int at) {
    return b.get(at) & 0xFF;
  }

  static int u16(ByteBuffer b, int at) {
    return b.getShort(at) & 0xFFFF;
  }

  static long u32(ByteBuffer b, int at) {
    return b.getInt(at) & 0xFFFF_FFFFL;
  }
}
