package dev.carryon.launcher.watch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Who holds an operating-system lock on a file, read from {@code /proc/locks} (see proc(5)):
 *
 * <pre>
 * 1: POSIX  ADVISORY  WRITE 4400 fe:00:2154522 0 EOF
 *    kind   mode      type  pid  major:minor:inode (major and minor in hex) range
 * </pre>
 *
 * Reading it takes no lock, so asking never disturbs the holder (trying the lock would: a command
 * starting at that moment would find it taken).
 */
final class LockHolders {
  /** The kernel's table of file locks. */
  static final Path PROC_LOCKS = Path.of("/proc/locks");

  private LockHolders() {}

  /** The process holding a lock on {@code file}, or empty when none does (or the file is absent). */
  static OptionalLong of(Path file) throws IOException {
    long dev;
    long inode;
    try {
      dev = ((Number) Files.getAttribute(file, "unix:dev", LinkOption.NOFOLLOW_LINKS)).longValue();
      inode = ((Number) Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue();
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    }
    // glibc's dev_t encoding (sys/sysmacros.h)
    long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    return holderIn(Files.readString(PROC_LOCKS, StandardCharsets.US_ASCII), major, minor, inode);
  }

  /** The pid holding a lock on the given device and inode in {@code locks}, the text of /proc/locks. */
  static OptionalLong holderIn(String locks, long major, long minor, long inode) {
    for (String line : locks.split("\n")) {
      String[] f = line.trim().split("\\s+");
      // A blocked request is listed too, after "->": only granted locks hold the file.
      if (f.length < 6 || f[1].equals("->")) {
        continue;
      }
      String[] id = f[5].split(":");
      if (id.length != 3) {
        continue;
      }
      try {
        if (Long.parseLong(id[0], 16) == major
            && Long.parseLong(id[1], 16) == minor
            && Long.parseLong(id[2]) == inode) {
          return OptionalLong.of(Long.parseLong(f[4]));
        }
      } catch (NumberFormatException e) {
        // Not a line of the format above: skip it.
      }
    }
    return OptionalLong.empty();
  }
}
