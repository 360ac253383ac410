package dev.carryon.launcher.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JNI libraries are unpacked into the host folder once and then only pointed at. */
class NativeLibrariesTest {
  private static final List<String> PROPERTIES =
      List.of("org.sqlite.lib.path", "org.sqlite.lib.name", "org.sqlite.tmpdir", "ZstdNativePath");

  private final Map<String, String> saved = new HashMap<>();

  @BeforeEach
  void save() {
    PROPERTIES.forEach(p -> saved.put(p, System.getProperty(p)));
  }

  @AfterEach
  void restore() {
    // The properties are the JVM's: other tests must not load libraries from a deleted folder.
    saved.forEach((p, v) -> {
      if (v == null) {
        System.clearProperty(p);
      } else {
        System.setProperty(p, v);
      }
    });
  }

  @Test
  void unpacksBothLibrariesOnceAndPointsAtThem(@TempDir Path dir) throws Exception {
    HostHome home = HostHome.at(dir);
    NativeLibraries.useCacheIn(home);

    Path sqlite = Path.of(System.getProperty("org.sqlite.lib.path"), System.getProperty("org.sqlite.lib.name"));
    Path zstd = Path.of(System.getProperty("ZstdNativePath"));
    assertTrue(sqlite.startsWith(dir.resolve("native")), sqlite.toString());
    assertTrue(zstd.startsWith(dir.resolve("native")), zstd.toString());
    assertEquals(sqlite.getParent().toString(), System.getProperty("org.sqlite.tmpdir"));
    assertArrayEquals(resource("/org/sqlite/native/Linux/x86_64/libsqlitejdbc.so"), Files.readAllBytes(sqlite));
    assertArrayEquals(
        resource("/linux/amd64/" + zstd.getFileName()), Files.readAllBytes(zstd));

    // A second command finds them and copies nothing.
    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(sqlite, old);
    Files.setLastModifiedTime(zstd, old);
    NativeLibraries.useCacheIn(home);
    assertEquals(old, Files.getLastModifiedTime(sqlite));
    assertEquals(old, Files.getLastModifiedTime(zstd));
    try (var files = Files.walk(dir.resolve("native"))) {
      assertEquals(2, files.filter(Files::isRegularFile).count(), "no temporary copy left behind");
    }
  }

  @Test
  void aHostFolderThatCannotHoldCodeLeavesTheLibrariesToThemselves(@TempDir Path dir)
      throws Exception {
    PROPERTIES.forEach(System::clearProperty);
    Path home = dir.resolve("home");
    Files.createDirectories(home);
    // Some home folders are mounted noexec: a library there cannot be loaded (tests run as root).
    assertEquals(0, run("mount", "-t", "tmpfs", "-o", "noexec,size=16m", "tmpfs", home.toString()));
    try {
      NativeLibraries.useCacheIn(HostHome.at(home));
      for (String p : PROPERTIES) {
        assertNull(System.getProperty(p), p);
      }
      assertFalse(Files.exists(home.resolve("native")), "copies were made where none can load");
    } finally {
      assertEquals(0, run("umount", home.toString()));
    }
  }

  @Test
  void theInnermostMountOfTheFolderDecides(@TempDir Path dir) throws Exception {
    Path home = Files.createDirectories(dir.resolve("my home"));
    Path mountinfo = dir.resolve("mountinfo");
    String root = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";
    Files.writeString(mountinfo, root);
    assertTrue(NativeLibraries.canHoldCode(home, mountinfo));
    Files.writeString(mountinfo, root + mount(dir, "rw,noexec"));
    assertFalse(NativeLibraries.canHoldCode(home, mountinfo), "under a noexec mount");
    Files.writeString(mountinfo, root + mount(dir, "rw,noexec") + mount(home, "rw,nosuid"));
    assertTrue(NativeLibraries.canHoldCode(home, mountinfo), "an inner mount that allows code");
    Files.writeString(mountinfo, root + mount(home, "rw") + mount(home, "rw,noexec"));
    assertFalse(NativeLibraries.canHoldCode(home, mountinfo), "the later of two mounts on one point");
    assertTrue(NativeLibraries.canHoldCode(home, dir.resolve("missing")), "unknown: try");
  }

  /** A mountinfo line for a tmpfs at {@code at} (a space written as \040, as the kernel does). */
  private static String mount(Path at, String options) throws Exception {
    return "30 22 0:9 / " + at.toRealPath().toString().replace(" ", "\\040") + " " + options
        + " shared:9 - tmpfs tmpfs rw\n";
  }

  private static int run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).inheritIO().start();
    return p.waitFor();
  }

  private static byte[] resource(String name) throws Exception {
    try (InputStream in = NativeLibraries.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }
}
