package dev.carryon.sync.lvm;

import static dev.carryon.sync.lvm.LvmFormat.SECTOR;

import dev.carryon.sync.ext4.BlockDevice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A volume group as its newest metadata describes it: the extent size, the physical volumes
 * (with the devices found for them), and the logical volumes.
 */
public final class VolumeGroup {
  /** Largest extent accepted, in sectors (16 TiB): a larger one is damage. */
  private static final long MAX_EXTENT_SECTORS = 1L << 35;

  /** Its name. */
  private final String name;
  /** Its UUID as the metadata writes it. */
  private final String id;
  /** The metadata's sequence number. */
  private final long seqno;
  /** Bytes per extent. */
  private final long extentBytes;
  /** Physical volumes by metadata name ("pv0"). */
  private final Map<String, PvSlot> pvs;
  /** Logical volumes by name, in metadata order. */
  private final Map<String, LogicalVolume> lvs = new LinkedHashMap<>();

  /**
   * One physical volume of the group.
   *
   * @param key its metadata name, e.g. "pv0"
   * @param uuid its UUID without dashes
   * @param firstSector pe_start: the sector of extent 0
   * @param extents pe_count
   * @param device the device found with this UUID, or null when it is not among those scanned
   * @param deviceName how messages name that device
   */
  record PvSlot(String key, String uuid, long firstSector, long extents, BlockDevice device,
      String deviceName) {
    String describe() {
      return key + " (" + deviceName + ")";
    }
  }

  private VolumeGroup(String name, String id, long seqno, long extentBytes,
      Map<String, PvSlot> pvs) {
    this.name = name;
    this.id = id;
    this.seqno = seqno;
    this.extentBytes = extentBytes;
    this.pvs = pvs;
  }

  /** Builds the group from its metadata section, matching its PVs to {@code devices} by UUID. */
  static VolumeGroup parse(MetadataText.Section vg, Map<String, PhysicalVolume> devices)
      throws LvmException {
    long extentSectors = vg.number("extent_size", 1, MAX_EXTENT_SECTORS);
    Map<String, PvSlot> pvs = new LinkedHashMap<>();
    for (MetadataText.Section pv : vg.section("physical_volumes").sections()) {
      String uuid = pv.string("id").replace("-", "");
      PhysicalVolume found = devices.get(uuid);
      pvs.put(pv.name(), new PvSlot(pv.name(), uuid, pv.number("pe_start", 0, Long.MAX_VALUE
          / SECTOR), pv.number("pe_count", 0, Long.MAX_VALUE / SECTOR / extentSectors),
          found == null ? null : found.device, found == null ? null : found.name));
    }
    VolumeGroup group = new VolumeGroup(vg.name(), vg.string("id"), vg.number("seqno"),
        extentSectors * SECTOR, pvs);
    MetadataText.Section lvs = vg.optionalSection("logical_volumes");
    if (lvs == null) {
      return group;
    }
    Map<String, String> snapshotOf = new HashMap<>();
    for (MetadataText.Section lv : lvs.sections()) {
      for (MetadataText.Section seg : lv.sections()) {
        if ("snapshot".equals(seg.optionalString("type"))) {
          snapshotOf.put(seg.string("cow_store"), seg.string("origin"));
        }
      }
    }
    for (MetadataText.Section lv : lvs.sections()) {
      group.lvs.put(lv.name(), group.logicalVolume(lv, snapshotOf.get(lv.name())));
    }
    return group;
  }

  private LogicalVolume logicalVolume(MetadataText.Section lv, String snapshotOrigin)
      throws LvmException {
    List<LogicalVolume.Segment> segments = new ArrayList<>();
    String unsupported = null;
    long count = lv.number("segment_count", 0, 1 << 20);
    for (int i = 1; i <= count; i++) {
      MetadataText.Section s = lv.section("segment" + i);
      String type = s.string("type");
      long start = s.number("start_extent", 0, Long.MAX_VALUE / extentBytes);
      long extents = s.number("extent_count", 1, Long.MAX_VALUE / extentBytes);
      List<LogicalVolume.Stripe> stripes = new ArrayList<>();
      if (type.equals("striped")) {
        long stripeCount = s.number("stripe_count", 1, 1 << 16);
        List<Object> raw = s.list("stripes");
        if (raw.size() != 2 * stripeCount) {
          throw s.error("stripes holds " + raw.size() + " values for " + stripeCount
              + " stripes (expected a PV name and an extent for each)");
        }
        for (int k = 0; k < raw.size(); k += 2) {
          if (!(raw.get(k) instanceof String pv) || !(raw.get(k + 1) instanceof Long extent)) {
            throw s.error("stripes holds " + raw.get(k) + ", " + raw.get(k + 1)
                + " where a PV name and an extent were expected");
          }
          stripes.add(new LogicalVolume.Stripe(pv, extent));
        }
        if (stripeCount > 1 && unsupported == null) {
          unsupported = "striped over " + stripeCount + " physical volumes";
        }
      } else if (unsupported == null) {
        unsupported = describeType(type, s);
      }
      segments.add(new LogicalVolume.Segment(start, extents, type, stripes));
    }
    segments.sort((a, b) -> Long.compare(a.start(), b.start()));
    if (snapshotOrigin != null) {
      unsupported = "a snapshot of " + name + "/" + snapshotOrigin;
    }
    boolean visible = lv.strings("status").contains("VISIBLE");
    if (!visible && unsupported == null) {
      unsupported = "an internal volume of LVM (not visible)";
    }
    return new LogicalVolume(this, lv.name(), visible, segments, unsupported);
  }

  /** What a volume with a segment of {@code type} is, in words. */
  private String describeType(String type, MetadataText.Section s) throws LvmException {
    if (type.equals("thin")) {
      return "a thin volume in pool " + name + "/" + s.string("thin_pool");
    }
    if (type.equals("thin-pool")) {
      return "a thin pool";
    }
    if (type.startsWith("raid")) {
      return "a RAID volume (" + type + ")";
    }
    if (type.equals("mirror")) {
      return "a mirror";
    }
    if (type.equals("snapshot")) {
      return "a snapshot of " + name + "/" + s.string("origin");
    }
    if (type.startsWith("cache") || type.equals("writecache")) {
      return "a cached volume (" + type + ")";
    }
    return "a volume of segment type '" + type + "'";
  }

  /** Its name. */
  public String name() {
    return name;
  }

  /** Its UUID as the metadata writes it. */
  String id() {
    return id;
  }

  /** The metadata's sequence number: the newest copy wins. */
  long seqno() {
    return seqno;
  }

  /** Bytes per extent. */
  long extentBytes() {
    return extentBytes;
  }

  /** Its logical volumes, visible and internal, in metadata order. */
  public List<LogicalVolume> logicalVolumes() {
    return List.copyOf(lvs.values());
  }

  /** The volume {@code lvName}, or null. */
  public LogicalVolume logicalVolume(String lvName) {
    return lvs.get(lvName);
  }

  /** The physical volume {@code key} a segment uses, with its device; {@code seg} names it. */
  PvSlot pv(String key, String seg) throws LvmException {
    PvSlot pv = pvs.get(key);
    if (pv == null) {
      throw new LvmException(seg + " is on " + key + ", which volume group " + name
          + " does not list");
    }
    if (pv.device() == null) {
      throw new LvmException(seg + " is on " + key + " (PV UUID " + pv.uuid() + "), which is"
          + " not on this disk");
    }
    return pv;
  }

  @Override
  public String toString() {
    return name;
  }
}
