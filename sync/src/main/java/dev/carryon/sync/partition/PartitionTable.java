package dev.carryon.sync.partition;

import static dev.carryon.sync.partition.PartitionFormat.SECTOR;

import dev.carryon.sync.ext4.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The partition table of a disk: a GPT, an MBR (with logical partitions), or none (a file system
 * or an LVM physical volume on the whole disk). Read-only; nothing is cached beyond the result.
 */
public final class PartitionTable {
  /** How the disk is divided. */
  public enum Scheme {
    /** A GUID partition table behind a protective MBR. */
    GPT,
    /** A DOS partition table. */
    MBR,
    /** No partition table: the whole disk is one volume. */
    NONE
  }

  /** The table's format. */
  private final Scheme scheme;
  /** Its partitions in table order (GPT entries, then MBR primaries and logicals). */
  private final List<Partition> partitions;
  /** What was read around damage, e.g. the GPT backup used instead of a damaged primary. */
  private final List<String> warnings;

  private PartitionTable(Scheme scheme, List<Partition> partitions, List<String> warnings) {
    this.scheme = scheme;
    this.partitions = List.copyOf(partitions);
    this.warnings = List.copyOf(warnings);
  }

  /**
   * Reads the partition table of {@code disk}.
   *
   * @param name how messages name the disk
   * @throws PartitionException when a table is there but damaged beyond what its backup covers
   */
  public static PartitionTable read(BlockDevice disk, String name) throws IOException {
    if (disk.size() < SECTOR) {
      return new PartitionTable(Scheme.NONE, List.of(), List.of());
    }
    ByteBuffer sector0 = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    disk.read(sector0, 0);
    sector0.flip();
    boolean mbr = Mbr.isMbr(sector0);
    // A GPT is behind a protective entry; without a readable MBR, its signature alone says so.
    if (mbr ? Mbr.isProtective(sector0) : Gpt.hasSignature(disk)) {
      List<String> warnings = new ArrayList<>();
      List<Partition> partitions = Gpt.read(disk, name, warnings);
      return new PartitionTable(Scheme.GPT, partitions, warnings);
    }
    if (mbr) {
      return new PartitionTable(Scheme.MBR, Mbr.read(disk, name, sector0), List.of());
    }
    return new PartitionTable(Scheme.NONE, List.of(), List.of());
  }

  /** The table's format. */
  public Scheme scheme() {
    return scheme;
  }

  /** The partitions, in table order. */
  public List<Partition> partitions() {
    return partitions;
  }

  /** Lines to show the user about damage read around; empty for a sound table. */
  public List<String> warnings() {
    return warnings;
  }

  /** A partition's extent in sectors, for the overlap check. */
  record Box(int number, long first, long count) {}

  /** Refuses two partitions that share a sector, naming both. */
  static void checkOverlaps(String disk, List<Box> boxes) throws PartitionException {
    List<Box> sorted = new ArrayList<>(boxes);
    sorted.sort(Comparator.comparingLong(Box::first));
    for (int i = 1; i < sorted.size(); i++) {
      Box a = sorted.get(i - 1);
      Box b = sorted.get(i);
      if (b.first() < a.first() + a.count()) {
        throw new PartitionException(disk + ": partitions " + a.number() + " (sectors "
            + a.first() + ".." + (a.first() + a.count() - 1) + ") and " + b.number()
            + " (sectors " + b.first() + ".." + (b.first() + b.count() - 1) + ") overlap");
      }
    }
  }
}
