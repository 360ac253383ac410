package dev.carryon.launcher.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
      try (var files = Files.walk(home.resolve("native"))) {
        assertEquals(0, files.filter(Files::isRegularFile).count(), "unloadable copies were kept");
      }
    } finally {
      assertEquals(0, run("umount", home.toString()));
    }
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
