package dev.carryon.launcher.host;

import dev.carryon.cow.io.OwnerOnly;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The JNI libraries of sqlite-jdbc and zstd-jni, unpacked once per version into the host's folder
 * instead of into a fresh temporary file by every command. Left to themselves both libraries copy
 * about 1 MB out of the jar on each start, and sqlite-jdbc also hashes it and scans the whole
 * temporary folder for stale copies: together a few hundred milliseconds of every {@code resume}
 * and {@code end}.
 *
 * <p>Only an optimisation: when a library is not found in the jar for this platform, or the host
 * folder cannot be written or is on a file system mounted {@code noexec}, nothing is set and each
 * library unpacks itself as usual.
 */
public final class NativeLibraries {
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  private NativeLibraries() {}

  /** Points both libraries at copies under {@code home}; call before either is first used. */
  public static void useCacheIn(HostHome home) {
    String arch = System.getProperty("os.arch");
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    if (!os.startsWith("linux")) {
      return;
    }
    Path folder = home.root().resolve("native");
    if (!canHoldCode(home.root(), MOUNTINFO)) {
      return;
    }
    String sqliteVersion = org.sqlite.SQLiteJDBCLoader.getVersion();
    Path sqlite = folder.resolve("sqlite-jdbc-" + sqliteVersion + "-" + arch).resolve("libsqlitejdbc.so");
    if (unpacked(sqlite, "/org/sqlite/native/Linux/" + sqliteArch(arch) + "/libsqlitejdbc.so")) {
      System.setProperty("org.sqlite.lib.path", sqlite.getParent().toString());
      System.setProperty("org.sqlite.lib.name", sqlite.getFileName().toString());
      // sqlite-jdbc sweeps this folder for stale copies on every start: keep it small.
      System.setProperty("org.sqlite.tmpdir", sqlite.getParent().toString());
    }
    String zstdName = "libzstd-jni-" + com.github.luben.zstd.util.ZstdVersion.VERSION + ".so";
    Path zstd = folder.resolve(arch).resolve(zstdName);
    if (unpacked(zstd, "/linux/" + arch + "/" + zstdName)) {
      System.setProperty("ZstdNativePath", zstd.toString());
    }
  }

  private static String sqliteArch(String javaArch) {
    return switch (javaArch) {
      case "amd64", "x86_64" -> "x86_64";
      default -> javaArch;
    };
  }

  /**
   * False when {@code folder} lies on a file system mounted {@code noexec}, as some home folders
   * are: no library there could be loaded. Told by /proc/self/mountinfo (the innermost mount
   * holding the folder), so nothing is loaded to find out: a JVM must never load two copies of one
   * library. True when that cannot be read.
   */
  static boolean canHoldCode(Path folder, Path mountinfo) {
    List<String> lines;
    Path real;
    try {
      lines = Files.readAllLines(mountinfo);
      real = folder.toRealPath();
    } catch (IOException e) {
      return true;
    }
    Path innermost = null;
    boolean noexec = false;
    for (String line : lines) {
      String[] fields = line.split(" ");
      if (fields.length < 6) {
        continue;
      }
      Path mountPoint = Path.of(fields[4].replace("\\040", " "));
      // Of equal mount points the later one is mounted on top.
      if (real.startsWith(mountPoint)
          && (innermost == null || mountPoint.getNameCount() >= innermost.getNameCount())) {
        innermost = mountPoint;
        noexec = List.of(fields[5].split(",")).contains("noexec");
      }
    }
    return !noexec;
  }

  /** True once {@code target} holds the jar's {@code resource}, copied now if missing. */
  private static boolean unpacked(Path target, String resource) {
    if (Files.isRegularFile(target)) {
      return true;
    }
    try (InputStream in = NativeLibraries.class.getResourceAsStream(resource)) {
      if (in == null) {
        return false;
      }
      OwnerOnly.createDirectories(target.getParent());
      // Another command may unpack the same file at the same time: each writes its own temporary
      // copy and renames it into place, so no process ever loads a half-written library.
      Path tmp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".tmp");
      try {
        try (FileChannel written = OwnerOnly.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          in.transferTo(Channels.newOutputStream(written));
          written.force(true); // durable before the rename publishes it
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
