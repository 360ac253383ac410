package dev.carryon.sync.partition;

import static dev.carryon.sync.partition.PartitionFormat.*;

import dev.carryon.sync.ext4.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Reads a GUID Partition Table. The primary header (LBA 1) and its entry array are used when both
 * CRCs match; otherwise the backup header at the disk's last LBA and its own entry array are, and
 * a warning says why. Every field is bounded before it is used: header size, entry size and count
 * (an array of at most {@value PartitionFormat#MAX_ENTRIES_BYTES} bytes), the usable area and
 * every partition inside it.
 *
 * <pre>
 * LBA 0        protective MBR (one entry of type 0xEE)
 * LBA 1        primary header: "EFI PART" | revision | size | CRC | my LBA | alternate LBA |
 *              first usable | last usable | disk GUID | entries LBA | count | entry size | CRC
 * LBA 2..      primary entries: type GUID | unique GUID | first LBA | last LBA | flags | name
 * ...          partitions, within [first usable, last usable]
 * last-32..    backup entries
 * last LBA     backup header
 * </pre>
 */
final class Gpt {
  /** The disk. */
  private final BlockDevice disk;
  /** How messages name it. */
  private final String name;
  /** Logical sector size: 512 or 4096. */
  private final int sector;
  /** Disk size in sectors. */
  private final long sectors;

  private Gpt(BlockDevice disk, String name, int sector) throws IOException {
    this.disk = disk;
    this.name = name;
    this.sector = sector;
    this.sectors = disk.size() / sector;
  }

  /** Whether a GPT header signature sits at LBA 1 or the last LBA, for either sector size. */
  static boolean hasSignature(BlockDevice disk) throws IOException {
    for (int size : new int[] {SECTOR, LARGE_SECTOR}) {
      if (signatureAt(disk, size, 1) || signatureAt(disk, size, disk.size() / size - 1)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The partitions of the GPT on {@code disk}; {@code warnings} gets a line when the backup had
   * to be used.
   */
  static List<Partition> read(BlockDevice disk, String name, List<String> warnings)
      throws IOException {
    int sector = SECTOR;
    if (!signatureAt(disk, SECTOR, 1) && (signatureAt(disk, LARGE_SECTOR, 1)
        || signatureAt(disk, LARGE_SECTOR, disk.size() / LARGE_SECTOR - 1))) {
      sector = LARGE_SECTOR;
    }
    return new Gpt(disk, name, sector).partitions(warnings);
  }

  private List<Partition> partitions(List<String> warnings) throws IOException {
    if (sectors < 3) {
      throw new PartitionException(name + ": GPT: the disk (" + disk.size() + " bytes) is too"
          + " small for a GUID partition table");
    }
    String primaryProblem;
    try {
      return table(1);
    } catch (Damaged e) {
      primaryProblem = e.getMessage();
    }
    long last = sectors - 1;
    try {
      List<Partition> partitions = table(last);
      warnings.add(name + ": the primary GPT is damaged (" + primaryProblem + "); read the"
          + " backup at LBA " + last);
      return partitions;
    } catch (Damaged e) {
      throw new PartitionException(name + ": GPT: the primary is damaged (" + primaryProblem
          + ") and so is the backup (" + e.getMessage() + ")");
    }
  }

  /** The partitions of the header at {@code lba} and its entries, or why they are unusable. */
  private List<Partition> table(long lba) throws IOException {
    String where = "header at LBA " + lba;
    ByteBuffer h = sector(lba);
    if (h.getLong(H_SIGNATURE) != GPT_SIGNATURE) {
      throw new Damaged(where + ": no \"EFI PART\" signature");
    }
    long size = u32(h, H_SIZE);
    if (size < HEADER_MIN_SIZE || size > sector) {
      throw new Damaged(where + ": header size " + size + " is out of range (" + HEADER_MIN_SIZE
          + ".." + sector + ")");
    }
    long stored = u32(h, H_CRC);
    ByteBuffer copy = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    copy.put(h.duplicate().position(0).limit((int) size)).putInt(H_CRC, 0);
    long actual = crc32(copy.array(), copy.capacity());
    if (actual != stored) {
      throw new Damaged(String.format("%s: header CRC 0x%08x does not match its contents"
          + " (0x%08x)", where, stored, actual));
    }
    if (h.getLong(H_MY_LBA) != lba) {
      throw new Damaged(where + ": it says it is at LBA " + Long.toUnsignedString(
          h.getLong(H_MY_LBA)));
    }
    long firstUsable = h.getLong(H_FIRST_USABLE);
    long lastUsable = h.getLong(H_LAST_USABLE);
    if (firstUsable < 2 || lastUsable >= sectors - 1 || firstUsable > lastUsable + 1) {
      throw new Damaged(where + ": usable area LBA " + Long.toUnsignedString(firstUsable) + ".."
          + Long.toUnsignedString(lastUsable) + " does not fit the disk (" + sectors
          + " sectors)");
    }
    long count = u32(h, H_ENTRY_COUNT);
    long entrySize = u32(h, H_ENTRY_SIZE);
    if (entrySize < ENTRY_MIN_SIZE || Long.bitCount(entrySize / ENTRY_MIN_SIZE) != 1
        || entrySize % ENTRY_MIN_SIZE != 0) {
      throw new Damaged(where + ": entry size " + entrySize + " is not 128 times a power of two");
    }
    if (count * entrySize > MAX_ENTRIES_BYTES) {
      throw new Damaged(where + ": " + count + " entries of " + entrySize + " bytes exceed the "
          + MAX_ENTRIES_BYTES + " bytes an entry array may take here");
    }
    long entriesLba = h.getLong(H_ENTRIES_LBA);
    long arraySectors = (count * entrySize + sector - 1) / sector;
    boolean before = entriesLba >= 2 && entriesLba + arraySectors <= firstUsable;
    boolean after = entriesLba > lastUsable && entriesLba + arraySectors <= sectors - 1;
    if (!before && !after) {
      throw new Damaged(where + ": the entry array at LBA " + Long.toUnsignedString(entriesLba)
          + " (" + arraySectors + " sectors) is not outside the usable area within the disk");
    }
    ByteBuffer entries = ByteBuffer.allocate((int) (count * entrySize))
        .order(ByteOrder.LITTLE_ENDIAN);
    disk.read(entries, entriesLba * sector);
    long entriesCrc = crc32(entries.array(), entries.capacity());
    if (entriesCrc != u32(h, H_ENTRIES_CRC)) {
      throw new Damaged(String.format("entry array at LBA %d: CRC 0x%08x does not match the"
          + " header's 0x%08x", entriesLba, entriesCrc, u32(h, H_ENTRIES_CRC)));
    }
    return entries(entries, (int) count, (int) entrySize, firstUsable, lastUsable);
  }

  private List<Partition> entries(ByteBuffer entries, int count, int entrySize,
      long firstUsable, long lastUsable) throws PartitionException {
    List<Partition> partitions = new ArrayList<>();
    List<PartitionTable.Box> boxes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ByteBuffer e = entries.slice(i * entrySize, entrySize).order(ByteOrder.LITTLE_ENDIAN);
      if (e.getLong(P_TYPE) == 0 && e.getLong(P_TYPE + 8) == 0) {
        continue;
      }
      int number = i + 1;
      long first = e.getLong(P_FIRST);
      long last = e.getLong(P_LAST);
      String range = "partition " + number + " (sectors " + Long.toUnsignedString(first) + ".."
          + Long.toUnsignedString(last) + ")";
      if (Long.compareUnsigned(last, sectors) >= 0 || Long.compareUnsigned(first, sectors) >= 0) {
        throw corrupt(range + " runs past the end of the disk (" + sectors + " sectors)");
      }
      if (last < first) {
        throw corrupt(range + " ends before it starts");
      }
      if (first < firstUsable || last > lastUsable) {
        throw corrupt(range + " lies outside the usable area (sectors " + firstUsable + ".."
            + lastUsable + ")");
      }
      String type = guid(e, P_TYPE);
      partitions.add(new Partition(number, first * sector, (last - first + 1) * sector, type,
          GPT_TYPES.getOrDefault(type, type), name(e), guid(e, P_UNIQUE)));
      boxes.add(new PartitionTable.Box(number, first, last - first + 1));
    }
    PartitionTable.checkOverlaps(name, boxes);
    return partitions;
  }

  /** The partition name: UTF-16LE up to the first NUL. */
  private static String name(ByteBuffer e) {
    byte[] raw = new byte[P_NAME_BYTES];
    e.get(P_NAME, raw);
    int len = 0;
    while (len + 1 < raw.length && (raw[len] != 0 || raw[len + 1] != 0)) {
      len += 2;
    }
    return new String(raw, 0, len, StandardCharsets.UTF_16LE);
  }

  private ByteBuffer sector(long lba) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(sector).order(ByteOrder.LITTLE_ENDIAN);
    disk.read(b, lba * sector);
    return b.flip();
  }

  private static boolean signatureAt(BlockDevice disk, int sector, long lba) throws IOException {
    if (lba < 1 || (lba + 1) * sector > disk.size()) {
      return false;
    }
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    disk.read(b, lba * sector);
    return b.getLong(0) == GPT_SIGNATURE;
  }

  private static long crc32(byte[] b, int len) {
    CRC32 crc = new CRC32();
    crc.update(b, 0, len);
    return crc.getValue();
  }

  private PartitionException corrupt(String problem) {
    return new PartitionException(name + ": GPT: " + problem);
  }

  /** Why one copy of the table (a header and its entries) cannot be used. */
  private static final class Damaged extends IOException {
    Damaged(String message) {
      super(message);
    }
  }
}
