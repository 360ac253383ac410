package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import dev.carryon.cow.io.WritePoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
  /** Target cluster size: the unit that must be old or new. */
  static final int CLUSTER = 4096;
  /** Scattered 16 KiB writes in the top, each its own run in the merge. */
  static final int SCATTERED = 48;

  @TempDir Path dir;

  @Test
  void everyCutLeavesAConsistentTarget() throws Exception {
    Path template = Files.createDirectory(dir.resolve("template"));
    Path base = template.resolve("base.qcow2");
    Path top = template.resolve("top.qcow2");
    // The base fills almost one refcount block (2048 clusters of 4 KiB), so the merge's new
    // clusters need a new block and a changed refcount table.
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4K", base.toString(), "16M");
    Qemu.io(base, "write -P 1 0 7900k", "write -P 5 1536k 8k");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=16K", "-b", "base.qcow2", "-F", "qcow2", top.toString());
    // Overwrites, a new L2 table in the target (past 2 MiB), zeros over data, a partial cluster.
    Qemu.io(top, "write -P 2 64k 48k", "write -P 3 2560k 64k", "write -z 1536k 16k", "write -P 4 3M 512", "write -P 6 900k 200k");
    // And changes scattered over the whole disk, in place and in new clusters, in many L2 tables.
    List<String> scattered = new ArrayList<>();
    for (int i = 0; i < SCATTERED; i++) {
      scattered.add("write -P " + (16 + i) + " " + (i * 263L + 17) % 1024 * 16384 + " 16k");
    }
    Qemu.io(top, scattered.toArray(String[]::new));
    byte[] old = MergeOracleTest.qemuRaw(base);

    Path full = copy(template, "full");
    WritePoints.watch(full);
    long points;
    try {
      Merger.merge(full.resolve("top.qcow2"), full.resolve("base.qcow2"), ProgressListener.NONE);
      points = WritePoints.reached();
    } finally {
      WritePoints.watch(null);
    }
    byte[] merged = MergeOracleTest.qemuRaw(full.resolve("base.qcow2"));
    System.out.println("merge write points: " + points);
    assertTrue(points >= 50, "the merge has many write points: " + points);
    assertFalse(Arrays.equals(old, merged));
    assertTrue(
        Checker.check(full.resolve("base.qcow2")).imageEndOffset() > 2048L * CLUSTER,
        "the merge allocated past what the first refcount block counts");

    for (long k : sample(points)) {
      Path run = copy(template, "cut" + k);
      ProcessBuilder child =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                  "-cp", System.getProperty("java.class.path"),
                  MergeMain.class.getName(),
                  run.resolve("top.qcow2").toString(),
                  run.resolve("base.qcow2").toString())
              .redirectErrorStream(true)
              .redirectOutput(run.resolve("child.log").toFile());
      child.environment().put("CARRYON_CUT_ROOT", run.toString());
      child.environment().put("CARRYON_CUT_AT", Long.toString(k));
      Process p = child.start();
      p.getOutputStream().close();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child finished");
      String log = Files.readString(run.resolve("child.log"));
      assertEquals(WritePoints.CUT_EXIT_CODE, p.exitValue(), "cut at " + k + " of " + points + ": " + log);
      Qemu.Result check = Qemu.check(run.resolve("base.qcow2"));
      assertTrue(check.exit() == 0 || check.exit() == 3, "cut at " + k + ": qemu-img check exit " + check.exit() + "\n" + check.out());
      byte[] now = MergeOracleTest.qemuRaw(run.resolve("base.qcow2"));
      for (int c = 0; c < now.length; c += CLUSTER) {
        boolean isOld = Arrays.equals(now, c, c + CLUSTER, old, c, c + CLUSTER);
        boolean isNew = Arrays.equals(now, c, c + CLUSTER, merged, c, c + CLUSTER);
        assertTrue(isOld || isNew, "cut at " + k + ": cluster at " + c + " is neither old nor new");
      }
    }
  }

  /** Every point when there are fewer than 300, else 200 spread evenly. */
  static List<Long> sample(long points) {
    if (points < 300) {
      return java.util.stream.LongStream.rangeClosed(1, points).boxed().toList();
    }
    return java.util.stream.LongStream.range(0, 200).map(i -> 1 + i * (points - 1) / 199).boxed().toList();
  }

  private Path copy(Path template, String name) throws Exception {
    Path to = Files.createDirectory(dir.resolve(name));
    for (String f : List.of("base.qcow2", "top.qcow2")) {
      Files.copy(template.resolve(f), to.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
    }
    return to;
  }
}
