package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import dev.carryon.cow.io.FailingStorage;
import dev.carryon.cow.io.FileStorage;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge that grows the target's refcount table, stopped by an I/O error at each of its changes
 * to the target (every write and force, data and metadata), and by read errors on the target and
 * the top: the target must be left as a crash at that point would leave it (qemu-img check clean
 * or leaks only, every cluster old or new), and a second merge must finish the job (issue 9).
 */
class MergeFailureTest {
  @TempDir Path dir;
  Path template;
  byte[] old;
  byte[] merged;
  long changes;
  long targetReads;
  long topReads;

  @BeforeEach
  void template() throws Exception {
    template = dir.resolve("template");
    java.nio.file.Files.createDirectory(template);
    GrowingMerge.make(template);
    old = MergeOracleTest.qemuRaw(template.resolve(GrowingMerge.BASE));
    merged = MergeOracleTest.qemuRaw(template.resolve(GrowingMerge.TOP));
    Path full = GrowingMerge.copy(template, dir.resolve("full"));
    long tableBefore = RefcountGrowthTest.RefcountTable.read(full.resolve(GrowingMerge.BASE)).offset();
    FailingStorage[] counters = new FailingStorage[2];
    merge(full, s -> counters[0] = FailingStorage.failingChange(s, 0), s -> counters[1] = FailingStorage.failingRead(s, 0));
    changes = counters[0].changes();
    targetReads = counters[0].reads();
    topReads = counters[1].reads();
    assertArrayEquals(merged, MergeOracleTest.qemuRaw(full.resolve(GrowingMerge.BASE)));
    assertNotEquals(
        tableBefore, RefcountGrowthTest.RefcountTable.read(full.resolve(GrowingMerge.BASE)).offset(),
        "the merge moves the refcount table");
    assertTrue(changes >= 40, "the merge makes many changes: " + changes);
    System.out.println("merge: " + changes + " changes to the target, " + targetReads + " reads of it, " + topReads + " of the top");
  }

  @Test
  void failureAtEveryChangeOfTheTarget() throws Exception {
    for (long n = 1; n <= changes; n++) {
      long k = n;
      Path run = GrowingMerge.copy(template, dir.resolve("change" + n));
      IOException e = assertThrows(
          IOException.class, () -> merge(run, s -> FailingStorage.failingChange(s, k), s -> s),
          "change " + n + " of " + changes);
      assertTrue(
          e.getMessage().contains("injected failure of change " + n), "the injected error surfaces: " + e);
      assertCrashConsistent(run, "failed change " + n + " of " + changes);
    }
  }

  @Test
  void failureOfAReadOfTheTargetOrTheTop() throws Exception {
    for (int i = 0; i < 5; i++) {
      long t = 1 + i * (targetReads - 1) / 4;
      Path target = GrowingMerge.copy(template, dir.resolve("target-read" + t));
      assertThrows(IOException.class, () -> merge(target, s -> FailingStorage.failingRead(s, t), s -> s));
      assertCrashConsistent(target, "failed target read " + t + " of " + targetReads);
      long p = 1 + i * (topReads - 1) / 4;
      Path top = GrowingMerge.copy(template, dir.resolve("top-read" + p));
      assertThrows(IOException.class, () -> merge(top, s -> s, s -> FailingStorage.failingRead(s, p)));
      assertCrashConsistent(top, "failed top read " + p + " of " + topReads);
    }
  }

  /** Merges the top of {@code folder} into its base, each storage wrapped as given. */
  private static void merge(Path folder, Function<Storage, Storage> target, Function<Storage, Storage> top)
      throws IOException {
    Path basePath = folder.resolve(GrowingMerge.BASE);
    try (DiskImage source = DiskImage.open(top.apply(FileStorage.openReadOnly(folder.resolve(GrowingMerge.TOP))), null);
        ImageChain chain = ImageChain.of(List.of(DiskImage.open(target.apply(FileStorage.openReadWrite(basePath)), null)))) {
      Merger.merge(source, chain, ProgressListener.NONE);
    }
  }

  /** qemu-img check finds leaks at worst, every cluster is old or new, and a new merge finishes. */
  private void assertCrashConsistent(Path run, String what) throws Exception {
    Path base = run.resolve(GrowingMerge.BASE);
    Qemu.Result check = Qemu.check(base);
    assertTrue(check.exit() == 0 || check.exit() == 3, what + ": qemu-img check exit " + check.exit() + "\n" + check.out());
    byte[] now = MergeOracleTest.qemuRaw(base);
    for (int c = 0; c < now.length; c += GrowingMerge.CLUSTER) {
      int end = c + GrowingMerge.CLUSTER;
      assertTrue(
          Arrays.equals(now, c, end, old, c, end) || Arrays.equals(now, c, end, merged, c, end),
          what + ": cluster at " + c + " is neither old nor new");
    }
    merge(run, s -> s, s -> s);
    assertArrayEquals(merged, MergeOracleTest.qemuRaw(base), what + ": a second merge finishes the job");
    check = Qemu.check(base);
    assertTrue(check.exit() == 0 || check.exit() == 3, what + ", merged again: qemu-img check exit " + check.exit());
  }
}
