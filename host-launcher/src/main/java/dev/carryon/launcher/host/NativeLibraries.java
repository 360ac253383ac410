package dev.carryon.launcher.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.UUID;

/**
 * The JNI libraries of sqlite-jdbc and zstd-jni, unpacked once per version into the host's folder
 * instead of into a fresh temporary file by every command. Left to themselves both libraries copy
 * about 1 MB out of the jar on each start, and sqlite-jdbc also hashes it and scans the whole
 * temporary folder for stale copies: together a few hundred milliseconds of every {@code resume}
 * and {@code end}.
 *
 * <p>Only an optimisation: when a library is not found in the jar for this platform, its folder
 * cannot be written or a library there cannot be loaded, nothing is set for it and it unpacks
 * itself as usual.
 */
public final class NativeLibraries {
  private NativeLibraries() {}

  /** Points both libraries at copies under {@code home}; call before either is first used. */
  public static void useCacheIn(HostHome home) {
    String arch = System.getProperty("os.arch");
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    if (!os.startsWith("linux")) {
      return;
    }
    Path folder = home.root().resolve("native");
    String sqliteVersion = org.sqlite.SQLiteJDBCLoader.getVersion();
    Path sqlite = folder.resolve("sqlite-jdbc-" + sqliteVersion + "-" + arch).resolve("libsqlitejdbc.so");
    if (unpacked(sqlite, "/org/sqlite/native/Linux/" + sqliteArch(arch) + "/libsqlitejdbc.so")
        && loads(sqlite)) {
      System.setProperty("org.sqlite.lib.path", sqlite.getParent().toString());
      System.setProperty("org.sqlite.lib.name", sqlite.getFileName().toString());
      // sqlite-jdbc sweeps this folder for stale copies on every start: keep it small.
      System.setProperty("org.sqlite.tmpdir", sqlite.getParent().toString());
    }
    String zstdName = "libzstd-jni-" + com.github.luben.zstd.util.ZstdVersion.VERSION + ".so";
    Path zstd = folder.resolve(arch).resolve(zstdName);
    if (unpacked(zstd, "/linux/" + arch + "/" + zstdName) && loads(zstd)) {
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
   * True when {@code library} can be loaded from where it is: not, for one, from a file system
   * mounted {@code noexec}, as some home folders are. The libraries then unpack into the temporary
   * folder as usual. Loading it here binds it for the library's own classes too: they share this
   * class loader.
   */
  private static boolean loads(Path library) {
    try {
      System.load(library.toString());
      return true;
    } catch (UnsatisfiedLinkError e) {
      try {
        Files.deleteIfExists(library); // a damaged copy is unpacked again next time
      } catch (IOException ignored) {
        // then the library keeps unpacking itself
      }
      return false;
    }
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
      Files.createDirectories(target.getParent());
      // Another command may unpack the same file at the same time: each writes its own temporary
      // copy and renames it into place, so no process ever loads a half-written library.
      Path tmp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".tmp");
      try {
        Files.copy(in, tmp);
        try (FileChannel written = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
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
