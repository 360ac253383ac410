package dev.carryon.launcher.watch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The mounts of this process's mount namespace as {@code /proc/self/mountinfo} lists them (see
 * proc(5)): one line per mount,
 *
 * <pre>
 * 36 35 98:0 /mnt1 /mnt/usb rw,noatime master:1 - ext4 /dev/sdb1 rw,errors=continue
 * (1)(2) (3)  (4)    (5)       (6)       (7)   (8) (9)   (10)      (11)
 * </pre>
 *
 * mount id (1), mount point (5, with space, tab, newline and backslash escaped as octal {@code
 * \040}...), optional fields (7) up to the separator (8), file system type (9) and source (10).
 */
final class MountTable {
  /** This process's mount table. */
  static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  /**
   * Kernel and desktop file systems that hold no user files, or that may hang when looked into
   * (a FUSE daemon of the desktop): never scanned for carriers.
   */
  private static final Set<String> NOT_SCANNED =
      Set.of(
          "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "mqueue", "tracefs",
          "debugfs", "securityfs", "pstore", "bpf", "autofs", "hugetlbfs", "configfs", "fusectl",
          "binfmt_misc", "nsfs", "efivarfs", "rpc_pipefs", "selinuxfs", "fuse.gvfsd-fuse",
          "fuse.portal");

  /**
   * One mount.
   *
   * @param id the kernel's mount id: a mount made again at the same point gets a new one
   * @param point where it is mounted
   * @param fsType its file system type, e.g. {@code ext4}, {@code vfat}
   * @param source what is mounted, e.g. {@code /dev/sdb1}
   */
  record Mount(int id, Path point, String fsType, String source) {
    /** True when the file system may hold user files (see {@link #NOT_SCANNED}). */
    boolean mayHoldFiles() {
      return !NOT_SCANNED.contains(fsType);
    }
  }

  private MountTable() {}

  /** The mounts of {@link #MOUNTINFO} by mount id, in the kernel's order. */
  static Map<Integer, Mount> read() throws IOException {
    return parse(Files.readString(MOUNTINFO, StandardCharsets.UTF_8));
  }

  /** Parses mountinfo text; a line that does not follow the format is an error naming it. */
  static Map<Integer, Mount> parse(String mountinfo) throws IOException {
    Map<Integer, Mount> mounts = new LinkedHashMap<>();
    for (String line : mountinfo.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split(" ");
      int separator = -1;
      for (int i = 6; i < f.length; i++) {
        if (f[i].equals("-")) {
          separator = i;
          break;
        }
      }
      if (f.length < 10 || separator < 0 || separator + 2 >= f.length) {
        throw new IOException(MOUNTINFO + ": not a mountinfo line: " + line);
      }
      int id;
      try {
        id = Integer.parseInt(f[0]);
      } catch (NumberFormatException e) {
        throw new IOException(MOUNTINFO + ": mount id (" + f[0] + ") is not a number: " + line, e);
      }
      mounts.put(
          id,
          new Mount(id, Path.of(unescape(f[4])), unescape(f[separator + 1]), unescape(f[separator + 2])));
    }
    return mounts;
  }

  /** Undoes the kernel's octal escapes ({@code \040} for a space). */
  static String unescape(String field) {
    if (field.indexOf('\\') < 0) {
      return field;
    }
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && isOctal(field, i + 1)) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '7') {
        return false;
      }
    }
    return true;
  }
}
