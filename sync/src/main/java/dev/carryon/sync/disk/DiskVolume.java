package dev.carryon.sync.disk;

import dev.carryon.sync.ext4.BlockDevice;
import dev.carryon.sync.lvm.LogicalVolume;
import dev.carryon.sync.partition.Partition;

/**
 * One place on a guest disk a file system may live: the whole disk, a partition, or a logical
 * volume.
 *
 * @param name how messages name it: the disk's name and {@link #id()}
 * @param partition the partition; null for the whole disk and for a logical volume
 * @param lv the logical volume, or null
 * @param device its bytes; null when it cannot be read (an unsupported LV)
 * @param fs what it holds
 * @param unsupported why it cannot be read (e.g. "a thin volume in pool vg/pool"), or null
 */
public record DiskVolume(
    String name, Partition partition, LogicalVolume lv, BlockDevice device, FsType.Probe fs,
    String unsupported) {

  /** "partition 2", "LV vg0/root", "the whole disk": how the user names it. */
  public String id() {
    if (lv != null) {
      return "LV " + lv.fullName();
    }
    return partition == null ? "the whole disk" : "partition " + partition.number();
  }

  /** The id with what it holds: "partition 2 'root' (Linux filesystem): ext2/3/4 'rootfs'". */
  public String describe() {
    StringBuilder s = new StringBuilder(lv != null || partition == null ? id()
        : partition.describe());
    s.append(": ");
    if (unsupported != null) {
      return s.append(unsupported).toString();
    }
    s.append(fs.type().display());
    if (!fs.label().isEmpty()) {
      s.append(" '").append(fs.label()).append('\'');
    }
    return s.toString();
  }
}
