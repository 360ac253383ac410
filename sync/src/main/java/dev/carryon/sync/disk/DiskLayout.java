package dev.carryon.sync.disk;

import dev.carryon.sync.ext4.BlockDevice;
import dev.carryon.sync.lvm.LogicalVolume;
import dev.carryon.sync.lvm.Lvm;
import dev.carryon.sync.lvm.LvmException;
import dev.carryon.sync.lvm.VolumeGroup;
import dev.carryon.sync.partition.Partition;
import dev.carryon.sync.partition.PartitionTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a guest disk holds: its partition table, the LVM2 volume groups on its partitions, and
 * every volume (the whole disk, a partition, a logical volume) with what is on it. Read-only;
 * the bytes are read through the disk's {@link BlockDevice}.
 */
public final class DiskLayout {
  /** How messages name the disk. */
  private final String name;
  /** Its partition table. */
  private final PartitionTable table;
  /** Its volumes: partitions in table order, then logical volumes. */
  private final List<DiskVolume> volumes;
  /** Damage read around: the partition table's, LVM metadata that could not be read. */
  private final List<String> warnings;

  private DiskLayout(String name, PartitionTable table, List<DiskVolume> volumes,
      List<String> warnings) {
    this.name = name;
    this.table = table;
    this.volumes = List.copyOf(volumes);
    this.warnings = List.copyOf(warnings);
  }

  /** Reads the partition table, the LVM metadata and every volume's superblock. */
  public static DiskLayout scan(BlockDevice disk, String name) throws IOException {
    PartitionTable table = PartitionTable.read(disk, name);
    List<DiskVolume> volumes = new ArrayList<>();
    List<Lvm.Device> pvs = new ArrayList<>();
    if (table.scheme() == PartitionTable.Scheme.NONE) {
      add(volumes, pvs, null, disk, name);
    }
    for (Partition p : table.partitions()) {
      add(volumes, pvs, p, disk.slice(p.start(), p.size()), name + ", partition " + p.number());
    }
    List<String> warnings = new ArrayList<>(table.warnings());
    if (!pvs.isEmpty()) {
      try {
        for (VolumeGroup vg : Lvm.scan(pvs)) {
          for (LogicalVolume lv : vg.logicalVolumes()) {
            if (lv.visible() || lv.unsupported() == null) {
              volumes.add(logical(lv, name + ", LV " + lv.fullName()));
            }
          }
        }
      } catch (LvmException e) {
        // The other volumes stay readable; the logical volumes are named nowhere else.
        warnings.add("LVM metadata unreadable, no logical volume listed: " + e.getMessage());
      }
    }
    return new DiskLayout(name, table, volumes, warnings);
  }

  private static void add(List<DiskVolume> volumes, List<Lvm.Device> pvs, Partition p,
      BlockDevice device, String name) throws IOException {
    FsType.Probe fs = FsType.probe(device);
    if (fs.type() == FsType.LVM_PV) {
      pvs.add(new Lvm.Device(device, name));
    }
    volumes.add(new DiskVolume(name, p, null, device, fs, null));
  }

  private static DiskVolume logical(LogicalVolume lv, String name) throws IOException {
    FsType.Probe none = new FsType.Probe(FsType.UNKNOWN, "", "");
    if (lv.unsupported() != null) {
      return new DiskVolume(name, null, lv, null, none, lv.unsupported());
    }
    BlockDevice device;
    try {
      device = lv.open();
    } catch (LvmException e) {
      return new DiskVolume(name, null, lv, null, none, "unreadable (" + e.getMessage() + ")");
    }
    return new DiskVolume(name, null, lv, device, FsType.probe(device), null);
  }

  /** How messages name the disk. */
  public String name() {
    return name;
  }

  /** The partition table, with any warning about damage read around. */
  public PartitionTable table() {
    return table;
  }

  /** Damage read around: a GPT's backup used, LVM metadata that could not be read. */
  public List<String> warnings() {
    return warnings;
  }

  /** Every volume: the whole disk or its partitions in table order, then logical volumes. */
  public List<DiskVolume> volumes() {
    return volumes;
  }

  /** One line per volume, for messages and {@code export --list}. */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    for (DiskVolume v : volumes) {
      lines.add(v.describe());
    }
    return lines;
  }
}
