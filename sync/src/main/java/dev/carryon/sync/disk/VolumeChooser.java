package dev.carryon.sync.disk;

import dev.carryon.sync.ext4.Ext4Exception;
import dev.carryon.sync.ext4.Ext4File;
import dev.carryon.sync.ext4.Ext4Filesystem;
import dev.carryon.sync.ext4.FileType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * Chooses the volume of a guest disk to read a guest path from: the one the user names
 * ({@code --partition N|LABEL|TYPE}, {@code --lv VG/LV}), or else the one that holds the path as
 * the guest sees it: the only file system, or the root file system (the ext2/3/4 volume with an
 * /etc/fstab) unless its fstab mounts another volume at a prefix of the path.
 */
public final class VolumeChooser {
  private VolumeChooser() {}

  /**
   * The volume chosen and where the guest path lies in it.
   *
   * @param volume the volume
   * @param path the guest path within that volume's file system: as given, or for a volume the
   *     root's fstab mounts below "/", the part below its mount point
   * @param reason why it was chosen, for the user: "the root file system (it has /etc/fstab)"
   */
  public record Choice(DiskVolume volume, String path, String reason) {}

  /**
   * Chooses the volume to read {@code guestPath} from.
   *
   * @param partition {@code --partition}: a number, a GPT partition name or a type; or null
   * @param lv {@code --lv}: "VG/LV"; or null
   * @throws VolumeException when the named volume does not exist or holds no file system, or no
   *     single volume can be chosen; the message lists the disk's volumes
   */
  public static Choice choose(DiskLayout layout, String partition, String lv, String guestPath)
      throws IOException {
    String path = normalize(guestPath);
    if (lv != null) {
      return new Choice(checked(layout, byLv(layout, lv)), guestPath, "chosen with --lv " + lv);
    }
    if (partition != null) {
      return new Choice(checked(layout, byPartition(layout, partition)), guestPath,
          "chosen with --partition " + partition);
    }
    List<DiskVolume> filesystems = new ArrayList<>();
    for (DiskVolume v : layout.volumes()) {
      if (v.device() != null && v.fs().type().isFilesystem()) {
        filesystems.add(v);
      }
    }
    if (filesystems.isEmpty()) {
      throw refuse(layout, "holds no file system to export from");
    }
    if (filesystems.size() == 1) {
      return new Choice(filesystems.get(0), guestPath, "the only file system on the disk");
    }
    List<DiskVolume> roots = new ArrayList<>();
    List<DiskVolume> holding = new ArrayList<>();
    for (DiskVolume v : filesystems) {
      if (v.fs().type().readInJava()) {
        Ext4Filesystem fs = openOrNull(v);
        if (fs != null && isFile(fs, "/etc/fstab")) {
          roots.add(v);
        }
        if (fs != null && exists(fs, path)) {
          holding.add(v);
        }
      }
    }
    if (roots.size() == 1) {
      return underRoot(layout, roots.get(0), guestPath);
    }
    if (roots.size() > 1) {
      throw refuse(layout, "holds " + roots.size() + " root file systems (with /etc/fstab): "
          + ids(roots) + "; choose one with --partition or --lv");
    }
    if (holding.size() == 1) {
      return new Choice(holding.get(0), guestPath, "the only file system holding " + path);
    }
    throw refuse(layout, "has no root file system (no ext2/3/4 volume with /etc/fstab) and "
        + (holding.isEmpty() ? "no" : holding.size()) + " ext2/3/4 volumes holding " + path
        + "; choose one with --partition or --lv");
  }

  /** The root's choice, or the volume its fstab mounts at the longest prefix of {@code path}. */
  private static Choice underRoot(DiskLayout layout, DiskVolume root, String guestPath)
      throws IOException {
    String path = normalize(guestPath);
    Ext4Filesystem fs = Ext4Filesystem.open(root.device(), root.name());
    String text;
    try (InputStream in = fs.open(fs.lookup("/etc/fstab"))) {
      text = new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
    }
    Fstab.Mount best = null;
    for (Fstab.Mount m : Fstab.parse(text)) {
      String mp = normalize(m.mountPoint());
      boolean under = mp.equals("/") || path.equals(mp) || path.startsWith(mp + "/");
      if (under && (best == null || mp.length() > normalize(best.mountPoint()).length())) {
        best = m;
      }
    }
    String why = "the root file system (it has /etc/fstab)";
    if (best == null || normalize(best.mountPoint()).equals("/")) {
      return new Choice(root, guestPath, why);
    }
    String mp = normalize(best.mountPoint());
    DiskVolume v = Fstab.resolve(best.spec(), layout);
    if (v == null) {
      throw refuse(layout, "has no volume " + best.spec() + ", which the /etc/fstab of "
          + root.id() + " mounts at " + mp + " (a volume on another disk?); choose one with"
          + " --partition or --lv, with the path inside it");
    }
    checked(layout, v);
    return new Choice(v, path.equals(mp) ? "/" : path.substring(mp.length()), "mounted at " + mp
        + " by the /etc/fstab of " + root.id() + " (" + best.spec() + ")");
  }

  private static DiskVolume byLv(DiskLayout layout, String name) throws VolumeException {
    for (DiskVolume v : layout.volumes()) {
      if (v.lv() != null && v.lv().fullName().equals(name)) {
        return v;
      }
    }
    throw refuse(layout, "has no logical volume " + name);
  }

  private static DiskVolume byPartition(DiskLayout layout, String key) throws VolumeException {
    List<DiskVolume> byLabel = new ArrayList<>();
    List<DiskVolume> byType = new ArrayList<>();
    for (DiskVolume v : layout.volumes()) {
      if (v.partition() == null) {
        continue;
      }
      if (key.equals(Integer.toString(v.partition().number()))) {
        return v;
      }
      if (key.equals(v.partition().label())) {
        byLabel.add(v);
      }
      String k = key.toLowerCase(Locale.ROOT);
      if (k.equals(v.partition().typeName().toLowerCase(Locale.ROOT))
          || k.equals(v.partition().type().toLowerCase(Locale.ROOT))
          || ("0x" + k).equals(v.partition().type())) {
        byType.add(v);
      }
    }
    List<DiskVolume> found = byLabel.isEmpty() ? byType : byLabel;
    if (found.size() == 1) {
      return found.get(0);
    }
    throw refuse(layout, found.isEmpty() ? "has no partition numbered, named or typed '" + key
        + "'" : "has " + found.size() + " partitions matching '" + key + "' (" + ids(found)
        + "); name one by number");
  }

  /** {@code v} if it holds a file system carryon can read, with or without libguestfs. */
  private static DiskVolume checked(DiskLayout layout, DiskVolume v) throws VolumeException {
    if (v.unsupported() != null) {
      boolean damaged = v.unsupported().startsWith("unreadable");
      throw new VolumeException(layout.name() + ": " + v.id() + " is " + v.unsupported()
          + (damaged ? "" : "; only linear logical volumes are read"));
    }
    if (v.fs().type() == FsType.LVM_PV) {
      List<String> lvs = new ArrayList<>();
      for (DiskVolume o : layout.volumes()) {
        if (o.lv() != null) {
          lvs.add(o.lv().fullName());
        }
      }
      throw new VolumeException(layout.name() + ": " + v.id() + " is an LVM2 physical volume;"
          + " name one of the logical volumes with --lv " + (lvs.isEmpty() ? "(there are none)"
              : String.join(", ", lvs)));
    }
    if (!v.fs().type().isFilesystem()) {
      throw refuse(layout, v.id() + " holds " + v.fs().type().display() + ", not a file system");
    }
    return v;
  }

  private static Ext4Filesystem openOrNull(DiskVolume v) throws IOException {
    try {
      return Ext4Filesystem.open(v.device(), v.name());
    } catch (Ext4Exception e) {
      return null; // a damaged volume is no root; naming it explicitly gives the error
    }
  }

  private static boolean isFile(Ext4Filesystem fs, String path) throws IOException {
    try {
      Ext4File f = fs.lookup(path);
      return f.type() == FileType.REGULAR;
    } catch (Ext4Exception e) {
      return false;
    }
  }

  private static boolean exists(Ext4Filesystem fs, String path) throws IOException {
    try {
      fs.lookupNoFollow(path);
      return true;
    } catch (Ext4Exception e) {
      return false;
    }
  }

  /** An absolute path with ".", ".." and repeated slashes resolved lexically. */
  static String normalize(String path) {
    Deque<String> parts = new ArrayDeque<>();
    for (String p : path.split("/")) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        parts.pollLast();
      } else {
        parts.addLast(p);
      }
    }
    return "/" + String.join("/", parts);
  }

  private static String ids(List<DiskVolume> volumes) {
    List<String> ids = new ArrayList<>();
    for (DiskVolume v : volumes) {
      ids.add(v.id());
    }
    return String.join(", ", ids);
  }

  private static VolumeException refuse(DiskLayout layout, String problem) {
    return new VolumeException(layout.name() + " " + problem + ". It holds: "
        + String.join("; ", layout.describe())
        + (layout.warnings().isEmpty() ? "" : ". " + String.join("; ", layout.warnings())));
  }
}
