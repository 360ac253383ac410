package dev.carryon.sync.lvm;

import static dev.carryon.sync.lvm.LvmFormat.SECTOR;

import dev.carryon.sync.ext4.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A logical volume of a {@link VolumeGroup}: its segments, and for a linear volume the device
 * that reads it through them. Anything but linear segments is refused with a message naming what
 * the volume is (thin, RAID, mirror, snapshot, striped ...).
 */
public final class LogicalVolume {
  /** Its volume group. */
  private final VolumeGroup vg;
  /** Its name in the group. */
  private final String name;
  /** Whether LVM shows it (internal volumes such as a RAID leg or a pool's metadata are not). */
  private final boolean visible;
  /** Its segments, in order of their first extent. */
  private final List<Segment> segments;
  /** Why it cannot be read, or null for a linear volume. */
  private final String unsupported;

  /**
   * A run of the volume's extents.
   *
   * @param start first extent of the volume it covers
   * @param count number of extents
   * @param type LVM2's segment type: "striped" (linear when one stripe), "thin", "raid1" ...
   * @param stripes for "striped": the physical volume (its metadata name, e.g. "pv0") and first
   *     physical extent of each stripe
   */
  record Segment(long start, long count, String type, List<Stripe> stripes) {}

  /** Where a stripe of a segment lies: a physical volume and its first extent there. */
  record Stripe(String pv, long extent) {}

  LogicalVolume(VolumeGroup vg, String name, boolean visible, List<Segment> segments,
      String unsupported) {
    this.vg = vg;
    this.name = name;
    this.visible = visible;
    this.segments = List.copyOf(segments);
    this.unsupported = unsupported;
  }

  /** Its name in the group. */
  public String name() {
    return name;
  }

  /** "vg/lv", as {@code --lv} takes it. */
  public String fullName() {
    return vg.name() + "/" + name;
  }

  /** Whether LVM lists it; internal volumes (RAID legs, pool metadata) are hidden. */
  public boolean visible() {
    return visible;
  }

  /** Size in bytes. */
  public long size() {
    long extents = 0;
    for (Segment s : segments) {
      extents += s.count();
    }
    return extents * vg.extentBytes();
  }

  /** Why this volume cannot be read in pure Java ("a thin volume in pool vg/pool"), or null. */
  public String unsupported() {
    return unsupported;
  }

  /**
   * A read-only device over the volume's extents.
   *
   * @throws LvmException when the volume is not linear, when a physical volume it uses is not
   *     among those scanned, or when a segment points outside its physical volume
   */
  public BlockDevice open() throws LvmException {
    if (unsupported != null) {
      throw new LvmException(fullName() + " is " + unsupported + "; only linear logical volumes"
          + " are read");
    }
    long extentBytes = vg.extentBytes();
    int n = segments.size();
    long[] starts = new long[n];
    BlockDevice[] parts = new BlockDevice[n];
    long expected = 0;
    for (int i = 0; i < n; i++) {
      Segment s = segments.get(i);
      String seg = fullName() + " segment " + (i + 1) + " (extents " + s.start() + ".."
          + (s.start() + s.count() - 1) + ")";
      if (s.start() != expected) {
        throw new LvmException(seg + (s.start() > expected ? " leaves extents " + expected + ".."
            + (s.start() - 1) + " unmapped" : " overlaps the segment before it"));
      }
      Stripe stripe = s.stripes().get(0);
      VolumeGroup.PvSlot pv = vg.pv(stripe.pv(), seg);
      if (stripe.extent() < 0 || s.count() > pv.extents() - stripe.extent()) {
        throw new LvmException(seg + " maps to extents " + stripe.extent() + ".."
            + (stripe.extent() + s.count() - 1) + " of " + stripe.pv() + ", which has only "
            + pv.extents() + " extents");
      }
      long from = pv.firstSector() * SECTOR + stripe.extent() * extentBytes;
      parts[i] = slice(pv, from, s.count() * extentBytes, seg);
      starts[i] = s.start() * extentBytes;
      expected = s.start() + s.count();
    }
    long size = expected * extentBytes;
    return BlockDevice.of(size, (dst, offset) -> {
      long at = offset;
      while (dst.hasRemaining()) {
        int i = segmentAt(starts, at);
        long within = at - starts[i];
        long left = parts[i].size() - within;
        int len = (int) Math.min(dst.remaining(), left);
        ByteBuffer part = dst.slice().limit(len);
        parts[i].read(part, within);
        dst.position(dst.position() + len);
        at += len;
      }
    });
  }

  private static BlockDevice slice(VolumeGroup.PvSlot pv, long from, long length, String seg)
      throws LvmException {
    try {
      if (from + length > pv.device().size()) {
        throw new LvmException(seg + " maps to bytes " + from + ".." + (from + length - 1)
            + " of " + pv.describe() + ", past its end (" + pv.device().size() + " bytes)");
      }
      return pv.device().slice(from, length);
    } catch (LvmException e) {
      throw e;
    } catch (IOException e) {
      throw new LvmException(seg + ": " + pv.describe() + ": " + e.getMessage());
    }
  }

  /** The last segment starting at or before {@code offset}. */
  private static int segmentAt(long[] starts, long offset) {
    int lo = 0;
    int hi = starts.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  @Override
  public String toString() {
    return fullName();
  }
}
