package dev.carryon.sync.lvm;

import dev.carryon.sync.ext4.BlockDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the LVM2 volume groups on a set of devices (a disk's partitions, or the disk itself) by
 * reading each physical volume's label and metadata, in pure Java and read-only: LVM's own tools,
 * device-mapper and root are not needed.
 */
public final class Lvm {
  private Lvm() {}

  /** A device that may hold a physical volume, and how messages name it. */
  public record Device(BlockDevice device, String name) {}

  /** Whether {@code device} carries an LVM2 label. */
  public static boolean isPhysicalVolume(BlockDevice device) throws IOException {
    return PhysicalVolume.labelSector(device) >= 0;
  }

  /**
   * The volume groups whose physical volumes are among {@code devices} (all of them labelled),
   * each described by its newest metadata (highest seqno) among its PVs.
   *
   * @throws LvmException when a label or the metadata cannot be read or parsed
   */
  public static List<VolumeGroup> scan(List<Device> devices) throws IOException {
    Map<String, PhysicalVolume> byUuid = new HashMap<>();
    List<PhysicalVolume> pvs = new ArrayList<>();
    for (Device d : devices) {
      PhysicalVolume pv = PhysicalVolume.read(d.device(), d.name());
      PhysicalVolume twin = byUuid.putIfAbsent(pv.uuid, pv);
      if (twin != null) {
        throw new LvmException(d.name() + " and " + twin.name + " carry the same PV UUID "
            + pv.uuid + " (a cloned disk?)");
      }
      pvs.add(pv);
    }
    Map<String, MetadataText.Section> newest = new LinkedHashMap<>();
    Map<String, Long> seqnos = new HashMap<>();
    for (PhysicalVolume pv : pvs) {
      if (pv.metadata == null) {
        continue; // a PV in no volume group
      }
      MetadataText.Section top = MetadataText.parse(pv.metadata, pv.metadataWhere);
      List<MetadataText.Section> groups = top.sections();
      if (groups.size() != 1) {
        throw new LvmException(pv.metadataWhere + ": metadata holds " + groups.size()
            + " sections where one volume group was expected");
      }
      MetadataText.Section vg = groups.get(0);
      String id = vg.string("id");
      long seqno = vg.number("seqno");
      Long seen = seqnos.get(id);
      if (seen == null || seqno > seen) {
        seqnos.put(id, seqno);
        newest.put(id, vg);
      }
    }
    List<VolumeGroup> groups = new ArrayList<>();
    for (MetadataText.Section vg : newest.values()) {
      groups.add(VolumeGroup.parse(vg, byUuid));
    }
    return groups;
  }
}
