package dev.carryon.sync.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.sync.ext4.E2fs;
import dev.carryon.sync.ext4.Ext4Filesystem;
import dev.carryon.sync.ext4.RawFileDevice;
import dev.carryon.sync.ext4.SourceTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mirrors of an ext4 image made with mkfs -d from {@link SourceTree}, edited between runs by the
 * Linux kernel (loop-mounted: new, changed, deleted and renamed files, a mode, a time set back, a
 * symlink retargeted, entries changing type). Each mirror must equal a fresh export, and a run
 * must write exactly the files that changed: counted by the mirror and seen from the host (the
 * inode and change time of every other file stay).
 */
class MirrorTest {
  /** The guest changes between the two runs; what they do is spelled out in the test. */
  static final String EDITS = String.join("\n",
      "echo new > new.txt",
      "rm hello.txt",
      "mv data/random-1m data/moved-1m",
      "chmod 600 exec.sh",
      "printf X | dd of=data/random-3000 bs=1 seek=100 conv=notrunc 2>/dev/null",
      "touch -d @" + SourceTree.MTIME.getEpochSecond() + " data/random-3000",
      "ln -sfn data link-fast",
      "mkdir newdir",
      "echo inner > newdir/inner.txt",
      "rm -r deep/level-1/level-2",
      "rm link-dir",
      "mkdir link-dir",
      "rm empty",
      "mkdir empty",
      "echo x > empty/x.txt");

  @TempDir static Path shared;
  static Path source;
  @TempDir Path dir;

  @BeforeAll
  static void createSource() throws IOException {
    source = Files.createDirectory(shared.resolve("source"));
    SourceTree.create(source);
  }

  static Path image(Path dir) throws IOException {
    Path image = dir.resolve("fs.img");
    E2fs.mkfs(image, "ext4", "16M", source);
    E2fs.debugfsWrite(image, "mknod null c 1 3");
    return image;
  }

  @Test
  void aSecondRunWritesOnlyWhatChanged() throws IOException {
    Path image = image(dir);
    Path mirror = dir.resolve("mirror");
    Path record = dir.resolve("home/mirrors/m.record");

    MirrorSummary first = mirror(image, mirror, record);
    assertSameAsExport(image, mirror);
    long files = first.files();
    assertEquals(files, first.written());
    assertEquals(List.of("/fifo: fifo skipped", "/null: char device skipped"),
        first.skipped().stream().sorted().toList());

    Map<String, List<Object>> before = identities(mirror);
    MirrorSummary again = mirror(image, mirror, record);
    assertEquals(new MirrorSummary(files, 0, 0, 0, files, 0, 0, 0, first.skipped()), again);
    assertEquals(before, identities(mirror), "a run with nothing new touched no file");

    KernelEdits.edit(image, EDITS);
    MirrorSummary second = mirror(image, mirror, record);
    assertSameAsExport(image, mirror);
    // new.txt, data/random-3000 (same size and time, new content), newdir/inner.txt, empty/x.txt
    assertEquals(4, second.written());
    assertEquals(1, second.renamed()); // data/random-1m, now data/moved-1m
    assertEquals(1, second.symlinks()); // link-fast
    assertEquals(3, second.directories()); // newdir, link-dir (a symlink), empty (a file)
    // hello.txt, deep/level-1/level-2 (a folder counts once), the link-dir symlink, the empty file
    assertEquals(4, second.deleted());
    assertEquals(files + 3 - 3, second.files()); // hello.txt, empty and deep/.../bottom.txt gone
    assertEquals(second.files() - 4 - 1, second.unchanged());

    Map<String, List<Object>> after = identities(mirror);
    assertEquals(before.get("data/random-1m").get(0), after.get("data/moved-1m").get(0),
        "the renamed file was moved on the host, not written again");
    assertUntouched(before, after, Set.of("new.txt", "data/random-3000", "newdir/inner.txt",
        "empty/x.txt", "data/moved-1m", "exec.sh"));
  }

  @Test
  void withoutItsRecordAMirrorIsComparedAndNotRewritten() throws IOException {
    Path image = image(dir);
    Path mirror = dir.resolve("mirror");
    Path record = dir.resolve("m.record");
    MirrorSummary first = mirror(image, mirror, record);
    Files.delete(record);
    Map<String, List<Object>> before = identities(mirror);
    MirrorSummary again = mirror(image, mirror, record);
    assertEquals(0, again.written());
    assertEquals(first.files(), again.unchanged());
    assertEquals(before.keySet(), identities(mirror).keySet());
    assertUntouched(before, identities(mirror), Set.of());
    // A record of another source is not trusted either.
    Files.writeString(record, Files.readString(record).replace("source\t", "source\tother "));
    assertEquals(0, mirror(image, mirror, record).written());
  }

  @Test
  void hostChangesToTheMirrorAreUndone() throws IOException {
    Path image = image(dir);
    Path mirror = dir.resolve("mirror");
    Path record = dir.resolve("m.record");
    mirror(image, mirror, record);
    Files.writeString(mirror.resolve("hello.txt"), "edited on the host\n");
    Files.delete(mirror.resolve("data/random-100k"));
    Files.writeString(mirror.resolve("stray.txt"), "not in the guest\n");
    Files.createDirectories(mirror.resolve(Mirror.TEMP_PREFIX + "left-by-a-cut.tmp"));
    MirrorSummary s = mirror(image, mirror, record);
    assertEquals(2, s.written());
    assertEquals(2, s.deleted());
    assertSameAsExport(image, mirror);
  }

  @Test
  void aFileIsNoMirror() throws IOException {
    Path image = image(dir);
    try (RawFileDevice d = RawFileDevice.open(image)) {
      Ext4Tree tree = new Ext4Tree(Ext4Filesystem.open(d, image.toString()));
      IOException e = assertThrows(IOException.class, () -> Mirror.run(tree, "/hello.txt",
          dir.resolve("m"), dir.resolve("r"), "test", ExportProgress.NONE));
      assertEquals("the guest path is a file, not a directory: --mirror keeps a host folder in"
          + " step with a guest directory", e.getMessage());
    }
    assertFalse(Files.exists(dir.resolve("m/hello.txt")));
  }

  static MirrorSummary mirror(Path image, Path mirror, Path record) throws IOException {
    try (RawFileDevice d = RawFileDevice.open(image)) {
      Ext4Tree tree = new Ext4Tree(Ext4Filesystem.open(d, image.toString()));
      return Mirror.run(tree, "/", mirror, record, "test image", // the same for its copies
          ExportProgress.NONE);
    }
  }

  /** The mirror holds what a fresh export of the image holds, and no temporary file. */
  static void assertSameAsExport(Path image, Path mirror) throws IOException {
    Path fresh = Files.createTempDirectory(image.getParent(), "fresh");
    try (RawFileDevice d = RawFileDevice.open(image)) {
      Exporter.toFolder(Ext4Filesystem.open(d, image.toString()), "/", fresh);
    }
    HostTrees.assertSame(fresh, mirror);
    for (String rel : HostTrees.list(mirror)) {
      assertTrue(!rel.contains(Mirror.TEMP_PREFIX), rel);
    }
    dev.carryon.testdata.FileTrees.deleteTree(fresh);
  }

  /** Every file of {@code after} but those {@code except} has the inode and ctime it had. */
  private static void assertUntouched(Map<String, List<Object>> before,
      Map<String, List<Object>> after, Set<String> except) {
    for (Map.Entry<String, List<Object>> e : after.entrySet()) {
      if (!except.contains(e.getKey())) {
        assertEquals(before.get(e.getKey()), e.getValue(), e.getKey());
      }
    }
  }

  /** Inode number and change time of every regular file of the mirror. */
  static Map<String, List<Object>> identities(Path mirror) throws IOException {
    Map<String, List<Object>> ids = new HashMap<>();
    try (Stream<Path> s = Files.walk(mirror)) {
      for (Path p : s.toList()) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          ids.put(mirror.relativize(p).toString(), List.of(
              Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS),
              Files.getAttribute(p, "unix:ctime", LinkOption.NOFOLLOW_LINKS)));
        }
      }
    }
    return ids;
  }
}
