package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import dev.carryon.cow.io.WritePoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cuts a merge at each of its write points (a child JVM halted there) and checks that the target
 * is still consistent (qemu-img check: clean or leaks only, never corruption) and that every
 * cluster reads either its old or its new content.
 */
class MergeCrashTest {
  /** Scattered 16 KiB writes in the top, each its own run in the merge. */
  static final int SCATTERED = 48;

  @TempDir Path dir;

  @Test
  void everyCutLeavesAConsistentTarget() throws Exception {
    Path template = Files.createDirectory(dir.resolve("template"));
    Path base = template.resolve(GrowingMerge.BASE);
    Path top = template.resolve(GrowingMerge.TOP);
    // The base fills almost one refcount block (2048 clusters of 4 KiB), so the merge's new
    // clusters need a new block and a changed refcount table.
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4K", base.toString(), "16M");
    Qemu.io(base, "write -P 1 0 7900k", "write -P 5 1536k 8k");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=16K", "-b", GrowingMerge.BASE, "-F", "qcow2", top.toString());
    // Overwrites, a new L2 table in the target (past 2 MiB), zeros over data, a partial cluster.
    Qemu.io(top, "write -P 2 64k 48k", "write -P 3 2560k 64k", "write -z 1536k 16k", "write -P 4 3M 512", "write -P 6 900k 200k");
    // And changes scattered over the whole disk, in place and in new clusters, in many L2 tables.
    List<String> scattered = new ArrayList<>();
    for (int i = 0; i < SCATTERED; i++) {
      scattered.add("write -P " + (16 + i) + " " + (i * 263L + 17) % 1024 * 16384 + " 16k");
    }
    Qemu.io(top, scattered.toArray(String[]::new));
    Path full = cutAtEveryPoint(template, 4096);
    assertTrue(
        Checker.check(full.resolve(GrowingMerge.BASE)).imageEndOffset() > 2048L * 4096,
        "the merge allocated past what the first refcount block counts");
  }

  @Test
  void everyCutOfAMergeThatGrowsTheRefcountTableLeavesAConsistentTarget() throws Exception {
    Path template = Files.createDirectory(dir.resolve("template"));
    GrowingMerge.make(template);
    long tableBefore = RefcountGrowthTest.RefcountTable.read(template.resolve(GrowingMerge.BASE)).offset();
    Path full = cutAtEveryPoint(template, GrowingMerge.CLUSTER);
    assertNotEquals(
        tableBefore, RefcountGrowthTest.RefcountTable.read(full.resolve(GrowingMerge.BASE)).offset(),
        "the merge moved the refcount table");
  }

  /**
   * Merges the template's top into its base once in full (counting the write points), then in a
   * child JVM cut at each point (or 200 spread over them); returns the folder of the full merge.
   */
  private Path cutAtEveryPoint(Path template, int cluster) throws Exception {
    byte[] old = MergeOracleTest.qemuRaw(template.resolve(GrowingMerge.BASE));
    Path full = GrowingMerge.copy(template, dir.resolve("full"));
    WritePoints.watch(full);
    long points;
    try {
      Merger.merge(full.resolve(GrowingMerge.TOP), full.resolve(GrowingMerge.BASE), ProgressListener.NONE);
      points = WritePoints.reached();
    } finally {
      WritePoints.watch(null);
    }
    byte[] merged = MergeOracleTest.qemuRaw(full.resolve(GrowingMerge.BASE));
    System.out.println("merge write points: " + points);
    assertTrue(points >= 50, "the merge has many write points: " + points);
    assertFalse(Arrays.equals(old, merged));

    for (long k : sample(points)) {
      Path run = GrowingMerge.copy(template, dir.resolve("cut" + k));
      ProcessBuilder child =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                  "-cp", System.getProperty("java.class.path"),
                  MergeMain.class.getName(),
                  run.resolve(GrowingMerge.TOP).toString(),
                  run.resolve(GrowingMerge.BASE).toString())
              .redirectErrorStream(true)
              .redirectOutput(run.resolve("child.log").toFile());
      child.environment().put("CARRYON_CUT_ROOT", run.toString());
      child.environment().put("CARRYON_CUT_AT", Long.toString(k));
      Process p = child.start();
      p.getOutputStream().close();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child finished");
      String log = Files.readString(run.resolve("child.log"));
      assertEquals(WritePoints.CUT_EXIT_CODE, p.exitValue(), "cut at " + k + " of " + points + ": " + log);
      Qemu.Result check = Qemu.check(run.resolve(GrowingMerge.BASE));
      assertTrue(check.exit() == 0 || check.exit() == 3, "cut at " + k + ": qemu-img check exit " + check.exit() + "\n" + check.out());
      byte[] now = MergeOracleTest.qemuRaw(run.resolve(GrowingMerge.BASE));
      for (int c = 0; c < now.length; c += cluster) {
        boolean isOld = Arrays.equals(now, c, c + cluster, old, c, c + cluster);
        boolean isNew = Arrays.equals(now, c, c + cluster, merged, c, c + cluster);
        assertTrue(isOld || isNew, "cut at " + k + ": cluster at " + c + " is neither old nor new");
      }
    }
    return full;
  }

  /** Every point when there are fewer than 300, else 200 spread evenly. */
  static List<Long> sample(long points) {
    if (points < 300) {
      return java.util.stream.LongStream.rangeClosed(1, points).boxed().toList();
    }
    return java.util.stream.LongStream.range(0, 200).map(i -> 1 + i * (points - 1) / 199).boxed().toList();
  }
}
