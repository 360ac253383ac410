package dev.carryon.sync.disk;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's /etc/fstab (fstab(5)): which volume is mounted where, so that a guest path below a
 * separate /home or /var is read from the volume that holds it.
 */
final class Fstab {
  /** A device node of the first disk's partition N: sda2, vda2, xvda2, nvme0n1p2, mmcblk0p2. */
  private static final Pattern PARTITION_NODE =
      Pattern.compile("/dev/(?:[shv]d|xvd)a(\\d+)|/dev/(?:nvme0n1|mmcblk0)p(\\d+)");
  /** /dev/VG/LV. */
  private static final Pattern LV_NODE = Pattern.compile("/dev/([^/]+)/([^/]+)");
  /** File system types that are no volume of the disk. */
  private static final List<String> VIRTUAL =
      List.of("swap", "proc", "sysfs", "tmpfs", "devpts", "devtmpfs", "none", "nfs", "nfs4",
          "cifs", "securityfs", "cgroup", "cgroup2", "debugfs", "efivarfs", "fuse", "overlay");

  private Fstab() {}

  /**
   * One mount line.
   *
   * @param spec the device as fstab names it ("UUID=...", "/dev/mapper/vg-root")
   * @param mountPoint where it is mounted, unescaped
   */
  record Mount(String spec, String mountPoint) {}

  /** The mounts of disk volumes in {@code text}, skipping comments, swap and virtual mounts. */
  static List<Mount> parse(String text) {
    List<Mount> mounts = new ArrayList<>();
    for (String line : text.split("\n")) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      String[] f = l.split("\\s+");
      if (f.length < 3 || !f[1].startsWith("/") || VIRTUAL.contains(f[2])) {
        continue;
      }
      mounts.add(new Mount(unescape(f[0]), unescape(f[1])));
    }
    return mounts;
  }

  /** The volume of {@code layout} that {@code spec} names, or null. */
  static DiskVolume resolve(String spec, DiskLayout layout) {
    for (DiskVolume v : layout.volumes()) {
      if (names(spec, v)) {
        return v;
      }
    }
    return null;
  }

  private static boolean names(String spec, DiskVolume v) {
    String value = spec.contains("=") ? spec.substring(spec.indexOf('=') + 1) : null;
    String key = value == null ? "" : spec.substring(0, spec.indexOf('=')).toUpperCase(Locale.ROOT);
    for (String[] byDir : new String[][] {{"/dev/disk/by-uuid/", "UUID"},
        {"/dev/disk/by-label/", "LABEL"}, {"/dev/disk/by-partuuid/", "PARTUUID"},
        {"/dev/disk/by-partlabel/", "PARTLABEL"}}) {
      if (spec.startsWith(byDir[0])) {
        key = byDir[1];
        value = spec.substring(byDir[0].length());
      }
    }
    switch (key) {
      case "UUID":
        return !v.fs().uuid().isEmpty() && v.fs().uuid().equalsIgnoreCase(value);
      case "LABEL":
        return !v.fs().label().isEmpty() && v.fs().label().equals(value);
      case "PARTUUID":
        return v.partition() != null && v.partition().uuid().equalsIgnoreCase(value);
      case "PARTLABEL":
        return v.partition() != null && !v.partition().label().isEmpty()
            && v.partition().label().equals(value);
      default:
        break;
    }
    if (v.lv() != null) {
      String vg = v.lv().fullName().substring(0, v.lv().fullName().indexOf('/'));
      String mapper = "/dev/mapper/" + vg.replace("-", "--") + "-"
          + v.lv().name().replace("-", "--");
      Matcher m = LV_NODE.matcher(spec);
      return spec.equals(mapper) || (m.matches() && m.group(1).equals(vg)
          && m.group(2).equals(v.lv().name()));
    }
    Matcher m = PARTITION_NODE.matcher(spec);
    if (m.matches() && v.partition() != null) {
      String n = m.group(1) != null ? m.group(1) : m.group(2);
      return Integer.parseInt(n) == v.partition().number();
    }
    return false;
  }

  /** fstab's octal escapes: "\040" is a space. */
  private static String unescape(String field) {
    Matcher m = Pattern.compile("\\\\([0-7]{3})").matcher(field);
    StringBuilder s = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(s, Matcher.quoteReplacement(
          String.valueOf((char) Integer.parseInt(m.group(1), 8))));
    }
    return m.appendTail(s).toString();
  }
}
