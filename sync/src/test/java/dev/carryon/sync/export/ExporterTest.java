package dev.carryon.sync.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.sync.ext4.E2fs;
import dev.carryon.sync.ext4.Ext4Exception;
import dev.carryon.sync.ext4.Ext4Filesystem;
import dev.carryon.sync.ext4.RawFileDevice;
import dev.carryon.sync.ext4.SourceTree;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exports an image built from {@link SourceTree} and compares the result with the source. */
class ExporterTest {
  @TempDir static Path shared;
  static Path source;
  @TempDir Path dir;
  private Path image;
  private RawFileDevice device;
  private Ext4Filesystem fs;

  @BeforeAll
  static void createSource() throws IOException {
    source = Files.createDirectory(shared.resolve("source"));
    SourceTree.create(source);
  }

  @BeforeEach
  void buildImage() throws IOException {
    image = dir.resolve("fs.img");
    E2fs.mkfs(image, "ext4", "16M", source);
    E2fs.debugfsWrite(image, "mknod null c 1 3");
    reopen();
  }

  private void reopen() throws IOException {
    closeDevice();
    device = RawFileDevice.open(image);
    fs = Ext4Filesystem.open(device, image.toString());
  }

  @AfterEach
  void closeDevice() throws IOException {
    if (device != null) {
      device.close();
    }
  }

  @Test
  void exportsTheWholeTreeToAFolder() throws IOException {
    Path out = dir.resolve("out");
    ExportSummary summary = Exporter.toFolder(fs, "/", out);

    Set<String> expected = relativePaths(source);
    expected.remove("fifo");
    expected.add("lost+found");
    assertEquals(expected, relativePaths(out));
    for (String rel : expected) {
      if (!rel.equals("lost+found")) {
        assertSameEntry(source.resolve(rel), out.resolve(rel));
      }
    }
    assertEquals(List.of("/fifo: fifo skipped", "/null: char device skipped"),
        summary.skipped().stream().sorted().toList());
    long files = 0;
    long bytes = 0;
    long links = 0;
    long dirs = 1; // lost+found
    for (String rel : relativePaths(source)) {
      Path p = source.resolve(rel);
      if (Files.isSymbolicLink(p)) {
        links++;
      } else if (Files.isDirectory(p)) {
        dirs++;
      } else if (Files.isRegularFile(p)) {
        files++;
        bytes += Files.size(p);
      }
    }
    assertEquals(new ExportSummary(files, dirs, links, bytes, summary.skipped()), summary);
    // The 66 MiB sparse file holds 30 kB of data: its holes stay holes.
    long allocated = Long.parseLong(E2fs.run(List.of("stat", "-c", "%b",
        out.resolve("sparse.bin").toString())).trim()) * 512;
    assertTrue(allocated < (1 << 20), "sparse.bin allocates " + allocated + " bytes");
  }

  @Test
  void exportsAPathUnderItsOwnName() throws IOException {
    Path out = dir.resolve("out");
    ExportSummary summary = Exporter.toFolder(fs, "/data", out);
    assertEquals(new ExportSummary(4, 1, 0, 3000 + 200 + 100_000 + (1 << 20), List.of()),
        summary);
    assertSameEntry(source.resolve("data"), out.resolve("data"));
    for (String name : List.of("random-3000", "inline-200", "random-100k", "random-1m")) {
      assertSameEntry(source.resolve("data").resolve(name), out.resolve("data").resolve(name));
    }
    Exporter.toFolder(fs, "/deep/level-1/../level-1/level-2", out);
    assertTrue(Files.isDirectory(out.resolve("level-2/level-3")));
    Exporter.toFolder(fs, "/hello.txt", out);
    assertEquals("hello\n", Files.readString(out.resolve("hello.txt")));
    Exporter.toFolder(fs, "/link-dir", out);
    assertEquals(Path.of("data"), Files.readSymbolicLink(out.resolve("link-dir")));
    Exporter.toFolder(fs, "/link-dir/", out.resolve("followed"));
    assertTrue(Files.isDirectory(out.resolve("followed/link-dir"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void refusesToOverwriteUnlessAsked() throws IOException {
    Path out = dir.resolve("out");
    Exporter.toFolder(fs, "/data", out);
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> Exporter.toFolder(fs, "/data", out));
    assertEquals(out.resolve("data").toString(), e.getFile());
    Exporter.toFolder(fs, "/hello.txt", out);
    assertThrows(FileAlreadyExistsException.class, () -> Exporter.toFolder(fs, "/hello.txt", out));

    Path file = out.resolve("data/random-3000");
    Files.writeString(file, "changed on the host");
    Exporter.toFolder(fs, "/data", out, true);
    assertArrayEquals(Files.readAllBytes(source.resolve("data/random-3000")),
        Files.readAllBytes(file));
  }

  @Test
  void neverWritesThroughASymlinkOnTheHost() throws IOException {
    Path outside = Files.createDirectory(dir.resolve("outside"));
    Path out = Files.createDirectory(dir.resolve("out"));
    Files.createSymbolicLink(out.resolve("data"), outside);
    Files.createSymbolicLink(out.resolve("hello.txt"), outside.resolve("victim"));

    assertThrows(FileAlreadyExistsException.class, () -> Exporter.toFolder(fs, "/data", out));
    assertThrows(FileAlreadyExistsException.class,
        () -> Exporter.toFolder(fs, "/hello.txt", out));
    Exporter.toFolder(fs, "/data", out, true);
    Exporter.toFolder(fs, "/hello.txt", out, true);

    try (Stream<Path> s = Files.list(outside)) {
      assertEquals(0, s.count(), "nothing may be written outside the export folder");
    }
    assertTrue(Files.isDirectory(out.resolve("data"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isRegularFile(out.resolve("hello.txt"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void refusesADirectoryTreeThatLoops() throws IOException {
    // /data's first named entry (after "." and "..") now names the root directory.
    long block = E2fs.blocks(image, "/data").get(0) * 1024;
    E2fs.patch(image, block + 24, 4, 2);
    reopen();
    IOException e = assertThrows(IOException.class,
        () -> Exporter.toFolder(fs, "/", dir.resolve("out")));
    assertTrue(e.getMessage().startsWith(image + ": /data/"), e.getMessage());
    assertTrue(e.getMessage().endsWith(" (inode 2) contains itself: the directory tree loops"),
        e.getMessage());
  }

  @Test
  void exportsATarThatReadsBackLikeTheSource() throws IOException {
    Path tar = dir.resolve("export.tar");
    ExportSummary summary = Exporter.toTar(fs, "/", tar);
    assertEquals(2, summary.skipped().size());

    TreeMap<String, TarArchiveEntry> seen = new TreeMap<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(tar)))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        String rel = e.isDirectory() ? e.getName().substring(0, e.getName().length() - 1)
            : e.getName();
        seen.put(rel, e);
        if (rel.equals("lost+found")) {
          continue;
        }
        Path p = source.resolve(rel);
        PosixFileAttributes a =
            Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertEquals(a.lastModifiedTime().toInstant().getEpochSecond(),
            e.getLastModifiedTime().toInstant().getEpochSecond(), rel);
        assertEquals(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS),
            (int) e.getLongUserId(), rel);
        if (a.isSymbolicLink()) {
          assertTrue(e.isSymbolicLink(), rel);
          assertEquals(Files.readSymbolicLink(p).toString(), e.getLinkName(), rel);
          continue;
        }
        assertEquals(mode(a.permissions()), e.getMode() & 07777, rel);
        if (a.isDirectory()) {
          assertTrue(e.isDirectory(), rel);
        } else {
          assertTrue(e.isFile(), rel);
          assertEquals(a.size(), e.getSize(), rel);
          assertSameBytes(Files.newInputStream(p), in, rel);
        }
      }
    }
    Set<String> expected = relativePaths(source);
    expected.remove("fifo");
    expected.add("lost+found");
    assertEquals(expected, seen.keySet());
    assertTrue(seen.containsKey(SourceTree.LONG_NAME));
    assertTrue(seen.keySet().stream().anyMatch(n -> n.length() > 200), "a long path");
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(Set.of("fs.img", "export.tar"),
          s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
    }
  }

  @Test
  void tarRefusesToOverwriteAndLeavesNothingOnFailure() throws IOException {
    Path tar = dir.resolve("export.tar");
    Files.writeString(tar, "precious");
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> Exporter.toTar(fs, "/data", tar));
    assertEquals(tar.toString(), e.getFile());
    assertEquals("precious", Files.readString(tar));

    Ext4Exception missing = assertThrows(Ext4Exception.class,
        () -> Exporter.toTar(fs, "/nope", tar, true));
    assertEquals(Ext4Exception.Kind.NOT_FOUND, missing.kind());
    assertEquals("precious", Files.readString(tar));

    ExportSummary summary = Exporter.toTar(fs, "/data", tar, true);
    assertEquals(4, summary.files());
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      assertEquals("data/", in.getNextEntry().getName());
    }
    try (Stream<Path> s = Files.list(dir)) {
      assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".part")));
    }
  }

  private static Set<String> relativePaths(Path root) throws IOException {
    Set<String> paths = new TreeSet<>();
    try (Stream<Path> walk = Files.walk(root)) {
      walk.filter(p -> !p.equals(root)).forEach(p -> paths.add(root.relativize(p).toString()));
    }
    return paths;
  }

  private static void assertSameEntry(Path expected, Path actual) throws IOException {
    PosixFileAttributes e =
        Files.readAttributes(expected, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    PosixFileAttributes a =
        Files.readAttributes(actual, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    String what = actual.toString();
    assertEquals(e.isSymbolicLink(), a.isSymbolicLink(), what);
    assertEquals(e.isDirectory(), a.isDirectory(), what);
    assertEquals(e.lastModifiedTime().toInstant().getEpochSecond(),
        a.lastModifiedTime().toInstant().getEpochSecond(), what + " mtime");
    if (e.isSymbolicLink()) {
      assertEquals(Files.readSymbolicLink(expected), Files.readSymbolicLink(actual), what);
      return;
    }
    assertEquals(e.permissions(), a.permissions(), what + " permissions");
    if (e.isRegularFile()) {
      assertEquals(e.size(), a.size(), what);
      assertSameBytes(Files.newInputStream(expected), Files.newInputStream(actual), what);
    }
  }

  /** Compares two streams in chunks (sparse.bin is 66 MiB); closes the first. */
  private static void assertSameBytes(InputStream expected, InputStream actual, String what)
      throws IOException {
    try (expected) {
      long at = 0;
      while (true) {
        byte[] e = expected.readNBytes(1 << 16);
        byte[] a = actual.readNBytes(e.length);
        assertArrayEquals(e, a, what + " from byte " + at);
        if (e.length == 0) {
          return;
        }
        at += e.length;
      }
    }
  }

  private static int mode(Set<PosixFilePermission> perms) {
    int mode = 0;
    for (PosixFilePermission p : new HashSet<>(perms)) {
      mode |= 0400 >> p.ordinal();
    }
    return mode;
  }
}
