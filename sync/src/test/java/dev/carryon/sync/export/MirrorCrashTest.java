package dev.carryon.sync.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.cow.io.WritePoints;
import dev.carryon.sync.ext4.E2fs;
import dev.carryon.sync.ext4.Ext4Filesystem;
import dev.carryon.sync.ext4.RawFileDevice;
import dev.carryon.testdata.CutChild;
import dev.carryon.testdata.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cuts a mirror run at every one of its write points, in a child JVM, and checks what a pulled
 * cable would leave: every file under a guest name is whole, old or new, never half-written; and
 * the next run finishes the mirror without writing again what the cut run wrote.
 */
class MirrorCrashTest {
  /** The guest's changes between the two runs. */
  private static final String EDITS = String.join("\n",
      "echo changed > dir/c.txt",
      "head -c 150000 /dev/urandom > b.bin",
      "mv dir/sub/d.txt dir/d-moved.txt",
      "rm a.txt",
      "ln -sfn dir link",
      "echo new > new.txt",
      "mkdir dir2",
      "echo e > dir2/e.txt");

  @TempDir Path dir;

  @AfterEach
  void unwatch() {
    WritePoints.watch(null);
  }

  @Test
  void everyCutLeavesWholeFilesAndTheNextRunFinishes() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src/dir/sub"));
    Files.writeString(dir.resolve("src/a.txt"), "a\n");
    Files.write(dir.resolve("src/b.bin"), new byte[100_000]);
    Files.writeString(src.getParent().resolve("c.txt"), "c\n");
    Files.writeString(src.resolve("d.txt"), "d\n".repeat(1000));
    Files.createSymbolicLink(dir.resolve("src/link"), Path.of("a.txt"));
    Path t = Files.createDirectories(dir.resolve("t"));
    Path image = t.resolve("fs.img");
    E2fs.mkfs(image, "ext4", "8M", dir.resolve("src"));
    MirrorTest.mirror(image, t.resolve("mirror"), t.resolve("m.record"));
    Path old = export(image, dir.resolve("old"));
    KernelEdits.edit(image, EDITS);
    Path now = export(image, dir.resolve("new"));

    Path reference = FileTrees.copyTree(t, dir.resolve("reference"));
    WritePoints.watch(reference);
    MirrorSummary done = MirrorTest.mirror(reference.resolve("fs.img"),
        reference.resolve("mirror"), reference.resolve("m.record"));
    long points = WritePoints.reached();
    WritePoints.watch(null);
    assertEquals(4, done.written()); // dir/c.txt, b.bin, new.txt, dir2/e.txt
    assertEquals(1, done.renamed());
    System.out.println("mirror: " + points + " write points, each cut");

    for (long k : CutChild.points(points, 120)) {
      Path c = FileTrees.copyTree(t, dir.resolve("cut-" + k));
      CutChild.Result r = CutChild.run(CutMirrorMain.class, c, k, c.resolve("fs.img").toString(),
          c.resolve("mirror").toString(), c.resolve("m.record").toString());
      String at = "after a cut at write point " + k + " of " + points;
      assertEquals(WritePoints.CUT_EXIT_CODE, r.exit(), at + ":\n" + r.log());
      for (String rel : HostTrees.list(c.resolve("mirror"))) {
        Path p = c.resolve("mirror").resolve(rel);
        if (rel.contains(Mirror.TEMP_PREFIX) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        byte[] found = Files.readAllBytes(p);
        boolean isOld = Files.isRegularFile(old.resolve(rel))
            && Arrays.equals(found, Files.readAllBytes(old.resolve(rel)));
        boolean isNew = Files.isRegularFile(now.resolve(rel))
            && Arrays.equals(found, Files.readAllBytes(now.resolve(rel)));
        boolean movedHere = rel.equals("dir/d-moved.txt")
            && Arrays.equals(found, Files.readAllBytes(old.resolve("dir/sub/d.txt")));
        assertTrue(isOld || isNew || movedHere, rel + " is neither old nor new " + at);
      }
      MirrorSummary again = MirrorTest.mirror(c.resolve("fs.img"), c.resolve("mirror"),
          c.resolve("m.record"));
      MirrorTest.assertSameAsExport(c.resolve("fs.img"), c.resolve("mirror"));
      assertTrue(again.written() <= done.written() && again.renamed() <= done.renamed(),
          "the rerun wrote " + again + " " + at);
      FileTrees.deleteTree(c);
    }
  }

  private static Path export(Path image, Path to) throws IOException {
    try (RawFileDevice d = RawFileDevice.open(image)) {
      Exporter.toFolder(Ext4Filesystem.open(d, image.toString()), "/", to);
    }
    return to;
  }
}
