package dev.carryon.sync.partition;

import static dev.carryon.sync.partition.PartitionFormat.*;

import dev.carryon.sync.ext4.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads an MBR partition table: four primary entries in sector 0, and for an extended partition
 * the chain of extended boot records (EBRs) it holds, one logical partition each. Every start is
 * bounded by the disk and, for logical partitions, by their extended partition.
 *
 * <pre>
 * sector 0:   ... | 446: entry 1 | entry 2 | entry 3 | entry 4 | 510: 55 AA
 * entry:      status u8 | CHS | type u8 | CHS | first sector u32 | sectors u32
 * EBR:        entry 1 = the logical partition, first sector relative to this EBR
 *             entry 2 = the next EBR, first sector relative to the extended partition
 * </pre>
 */
final class Mbr {
  /** The disk. */
  private final BlockDevice disk;
  /** How messages name it. */
  private final String name;
  /** Its size in sectors. */
  private final long sectors;

  private Mbr(BlockDevice disk, String name, long sectors) {
    this.disk = disk;
    this.name = name;
    this.sectors = sectors;
  }

  /** Whether {@code sector0} carries the boot signature and four plausible status bytes. */
  static boolean isMbr(ByteBuffer sector0) {
    if (u16(sector0, MBR_SIGNATURE_OFFSET) != MBR_SIGNATURE) {
      return false;
    }
    for (int i = 0; i < MBR_ENTRIES; i++) {
      int status = u8(sector0, MBR_TABLE + i * MBR_ENTRY_SIZE + E_STATUS);
      if (status != 0x00 && status != 0x80) {
        return false; // a boot sector of a file system, not a table
      }
    }
    return true;
  }

  /** Whether one of the primary entries is the protective entry of a GPT disk. */
  static boolean isProtective(ByteBuffer sector0) {
    for (int i = 0; i < MBR_ENTRIES; i++) {
      if (u8(sector0, MBR_TABLE + i * MBR_ENTRY_SIZE + E_TYPE) == TYPE_GPT_PROTECTIVE) {
        return true;
      }
    }
    return false;
  }

  /** The partitions of the MBR in {@code sector0}, which {@link #isMbr} accepted. */
  static List<Partition> read(BlockDevice disk, String name, ByteBuffer sector0)
      throws IOException {
    return new Mbr(disk, name, disk.size() / SECTOR).partitions(sector0);
  }

  private List<Partition> partitions(ByteBuffer mbr) throws IOException {
    String signature = String.format(Locale.ROOT, "%08x", u32(mbr, MBR_DISK_SIGNATURE));
    List<Region> primaries = new ArrayList<>();
    Region extended = null;
    for (int i = 0; i < MBR_ENTRIES; i++) {
      int at = MBR_TABLE + i * MBR_ENTRY_SIZE;
      int type = u8(mbr, at + E_TYPE);
      long first = u32(mbr, at + E_FIRST);
      long count = u32(mbr, at + E_SECTORS);
      if (type == TYPE_EMPTY || count == 0) {
        continue;
      }
      String what = "partition " + (i + 1);
      if (first == 0) {
        throw corrupt(what + " starts at sector 0, over the partition table itself");
      }
      checkOnDisk(what, first, count);
      Region r = new Region(i + 1, type, first, count);
      if (isExtended(type)) {
        if (extended != null) {
          throw corrupt("two extended partitions, " + extended.number + " and " + r.number);
        }
        extended = r;
      }
      primaries.add(r);
    }
    PartitionTable.checkOverlaps(name, boxes(primaries));

    List<Region> found = new ArrayList<>();
    for (Region r : primaries) {
      if (!isExtended(r.type)) {
        found.add(r);
      }
    }
    if (extended != null) {
      found.addAll(logicals(extended));
    }
    PartitionTable.checkOverlaps(name, boxes(found));
    List<Partition> partitions = new ArrayList<>();
    for (Region r : found) {
      String type = String.format(Locale.ROOT, "0x%02x", r.type);
      partitions.add(new Partition(r.number, r.first * SECTOR, r.count * SECTOR, type,
          MBR_TYPES.getOrDefault(r.type, type), "",
          String.format(Locale.ROOT, "%s-%02x", signature, r.number)));
    }
    return partitions;
  }

  /** Follows the EBR chain of {@code ext}, numbering its logical partitions from 5. */
  private List<Region> logicals(Region ext) throws IOException {
    List<Region> logicals = new ArrayList<>();
    Set<Long> seen = new HashSet<>();
    long ebr = ext.first;
    while (true) {
      if (!seen.add(ebr)) {
        throw corrupt("the chain of extended boot records loops back to sector " + ebr);
      }
      if (logicals.size() >= MAX_LOGICAL) {
        throw corrupt("more than " + MAX_LOGICAL + " logical partitions in extended partition "
            + ext.number);
      }
      ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
      disk.read(b, ebr * SECTOR);
      if (u16(b, MBR_SIGNATURE_OFFSET) != MBR_SIGNATURE) {
        if (ebr == ext.first && isZero(b)) {
          return logicals; // an extended partition with no logical partition yet
        }
        throw corrupt(String.format(Locale.ROOT, "the extended boot record at sector %d has no"
            + " boot signature (0x%04x, expected 0x%04x)", ebr, u16(b, MBR_SIGNATURE_OFFSET),
            MBR_SIGNATURE));
      }
      int type = u8(b, MBR_TABLE + E_TYPE);
      long count = u32(b, MBR_TABLE + E_SECTORS);
      if (type != TYPE_EMPTY && count != 0) {
        int number = 5 + logicals.size();
        long first = ebr + u32(b, MBR_TABLE + E_FIRST);
        if (first == ebr) {
          throw corrupt("logical partition " + number + " starts on its own extended boot"
              + " record (sector " + ebr + ")");
        }
        checkInside("logical partition " + number, first, count, ext);
        logicals.add(new Region(number, type, first, count));
      }
      int next = MBR_TABLE + MBR_ENTRY_SIZE;
      if (!isExtended(u8(b, next + E_TYPE)) || u32(b, next + E_SECTORS) == 0) {
        return logicals;
      }
      long following = ext.first + u32(b, next + E_FIRST);
      checkInside("the extended boot record linked from sector " + ebr, following, 1, ext);
      ebr = following;
    }
  }

  private void checkOnDisk(String what, long first, long count) throws PartitionException {
    if (first + count > sectors) {
      throw corrupt(what + " (sectors " + first + ".." + (first + count - 1) + ") runs past the"
          + " end of the disk (" + sectors + " sectors)");
    }
  }

  private void checkInside(String what, long first, long count, Region ext)
      throws PartitionException {
    if (first < ext.first || first + count > ext.first + ext.count) {
      throw corrupt(what + " (sectors " + first + ".." + (first + count - 1) + ") lies outside"
          + " extended partition " + ext.number + " (sectors " + ext.first + ".."
          + (ext.first + ext.count - 1) + ")");
    }
    checkOnDisk(what, first, count);
  }

  private static List<PartitionTable.Box> boxes(List<Region> regions) {
    List<PartitionTable.Box> boxes = new ArrayList<>();
    for (Region r : regions) {
      boxes.add(new PartitionTable.Box(r.number, r.first, r.count));
    }
    return boxes;
  }

  private static boolean isZero(ByteBuffer b) {
    for (int i = 0; i < b.capacity(); i++) {
      if (b.get(i) != 0) {
        return false;
      }
    }
    return true;
  }

  private PartitionException corrupt(String problem) {
    return new PartitionException(name + ": MBR partition table: " + problem);
  }

  /** A table entry in sectors, before it becomes a {@link Partition}. */
  private record Region(int number, int type, long first, long count) {}
}
