package dev.carryon.sync.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.cow.io.WritePoints;
import dev.carryon.testdata.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cuts a sync (watching the host image's folder) and a reset (watching the carrier) at every one of
 * their write points, in a child JVM, and checks what a pulled cable would leave: the carrier
 * verifies, every qcow2 image passes {@code qemu-img check} (exit 0, or 3 for leaked clusters),
 * the content is the old or the new one, and running the sync again finishes the job.
 */
class SyncCrashTest {
  /** Disk size: 64 clusters, small enough to copy for every cut. */
  private static final long SIZE = 4 << 20;

  /** Cut points tried at most; more are spread evenly. */
  private static final int MAX_CUTS = 200;

  @TempDir Path dir;

  @AfterEach
  void unwatch() {
    WritePoints.watch(null);
  }

  /**
   * A carrier keeping 2 generations over a 4 MiB qcow2 base with data in every other cluster (the
   * host image allocates where the others are written), at generation 4 (chain base, COW, L4), and
   * the host's copy of the base in {@code t/host/}.
   */
  private Path template() throws IOException {
    return template(dir.resolve("t"));
  }

  /** The template of {@link #template()} made in {@code t}. */
  static Path template(Path t) throws IOException {
    Path base = Disks.qcow2(Files.createDirectories(t.resolve("src")).resolve("base.qcow2"), SIZE, 3, 2);
    Files.copy(base, Files.createDirectories(t.resolve("host")).resolve("host.qcow2"));
    Path carrier = Disks.carrier(t.resolve("carrier"), base, 2);
    Disks.session(
        carrier, t.resolve("work"), "write -P 11 0 192k", "write -P 12 1M 8k", "write -P 16 1344k 320k");
    Disks.session(carrier, t.resolve("work"), "write -P 13 64k 64k", "write -z 2M 128k");
    Disks.session(carrier, t.resolve("work"), "write -P 14 3M 512", "write -P 15 4032k 64k");
    FileTrees.deleteTree(t.resolve("work"));
    return t;
  }

  @Test
  void everyCutOfASyncLeavesTheHostImageOldOrPartlyNewerAndTheNextSyncFinishes()
      throws Exception {
    Path template = template();
    byte[] oldContent = Disks.read(template.resolve("host/host.qcow2"));
    byte[] newContent = Disks.read(top(template.resolve("carrier")));

    Path reference = FileTrees.copyTree(template, dir.resolve("reference"));
    WritePoints.watch(reference.resolve("host"));
    HostSync.sync(Disks.storage(reference.resolve("carrier")), reference.resolve("host/host.qcow2"), "h", -1);
    long points = WritePoints.reached();
    WritePoints.watch(null);
    assertTrue(points >= 12, points + " write points of the sync");
    System.out.println("sync: " + points + " write points, each cut");

    for (long k : cutPoints(points)) {
      Path t = FileTrees.copyTree(template, dir.resolve("cut-" + k));
      Path carrier = t.resolve("carrier");
      Path host = t.resolve("host/host.qcow2");
      runChild(t.resolve("host"), k, carrier, host, -1);
      String at = "after a cut at write point " + k + " of " + points;
      assertEquals(List.of(), Disks.open(carrier).verify().problems(), at);
      assertTrue(Disks.open(carrier).manifest().syncs().isEmpty(), "recorded as old " + at);
      assertQemuCheck(host, at);
      assertEachClusterOldOrNew(Disks.read(host), oldContent, newContent, at);

      SyncResult again = HostSync.sync(Disks.storage(carrier), host, "h", -1);
      assertEquals(SyncMode.FIRST, again.mode(), at);
      assertArrayEquals(newContent, Disks.read(host), "after the rerun " + at);
      assertEquals(0, Disks.compare(host, top(carrier)), at);
      FileTrees.deleteTree(t);
    }
  }

  @Test
  void everyCutOfAResetLeavesTheCarrierWholeWithTheSameContentAndTheNextSyncFinishes()
      throws Exception {
    Path template = template();
    HostSync.sync(Disks.storage(template.resolve("carrier")), template.resolve("host/host.qcow2"), "h", -1);
    byte[] content = Disks.read(top(template.resolve("carrier")));

    Path reference = FileTrees.copyTree(template, dir.resolve("reference"));
    WritePoints.watch(reference.resolve("carrier"));
    SyncResult done =
        HostSync.sync(Disks.storage(reference.resolve("carrier")), reference.resolve("host/host.qcow2"), "h", 0);
    long points = WritePoints.reached();
    WritePoints.watch(null);
    assertEquals(List.of("cow.qcow2", "layers/L4.qcow2"), done.reset().merged());
    assertTrue(points >= 20, points + " write points of the reset");
    System.out.println("reset: " + points + " write points, each cut");

    TreeSet<String> chainsSeen = new TreeSet<>();
    for (long k : cutPoints(points)) {
      Path t = FileTrees.copyTree(template, dir.resolve("cut-" + k));
      Path carrier = t.resolve("carrier");
      Path host = t.resolve("host/host.qcow2");
      runChild(carrier, k, carrier, host, 0);
      String at = "after a cut at write point " + k + " of " + points;
      Carrier found = Disks.open(carrier);
      assertEquals(List.of(), found.verify().problems(), "read-only " + at);
      chainsSeen.add(found.current().chain() + (!resetPending(found) ? "" : " pending"));
      // Old or new: generation 4 until the reset is done, then 5 alone.
      long number = found.current().number();
      boolean reset = !resetPending(found) && found.current().chain().size() == 2;
      assertEquals(reset ? 5 : 4, number, at);
      assertArrayEquals(content, Disks.read(top(carrier)), "content " + at);
      for (String name : found.manifest().files().keySet()) {
        if (name.endsWith(".qcow2")) {
          assertQemuCheck(Disks.file(found, name), name + " " + at);
        }
      }
      assertEquals(0, Disks.compare(host, top(carrier)), at);

      HostSync.sync(Disks.storage(carrier), host, "h", 0);
      Carrier after = Disks.open(carrier);
      assertEquals(List.of("base.qcow2", "cow.qcow2"), after.current().chain(), at);
      // Opening redoes a pending reset (one generation on), then the rerun resets once more (the
      // threshold is 0): another one on. The host image's record follows each.
      long expected = number + (!resetPending(found) ? 1 : 2);
      assertEquals(expected, after.current().number(), at);
      assertEquals(
          expected,
          after.manifest().sync("h", host.toRealPath().toString()).orElseThrow().generation(),
          at);
      assertArrayEquals(content, Disks.read(top(carrier)), "content after the rerun " + at);
      assertEquals(List.of(), after.verify().problems(), at);
      FileTrees.deleteTree(t);
    }
    // Cuts fell before the reset was recorded, while it was pending, and after it was done.
    assertEquals(
        new TreeSet<>(
            List.of(
                "[base.qcow2, cow.qcow2, layers/L4.qcow2]",
                "[base.qcow2, cow.qcow2, layers/L4.qcow2] pending",
                "[base.qcow2, cow.qcow2]")),
        chainsSeen);
  }

  /** Every point up to {@value #MAX_CUTS}, else that many spread evenly (the last included). */
  private static long[] cutPoints(long points) {
    if (points <= MAX_CUTS) {
      return java.util.stream.LongStream.rangeClosed(1, points).toArray();
    }
    return java.util.stream.LongStream.range(0, MAX_CUTS)
        .map(i -> 1 + i * (points - 1) / (MAX_CUTS - 1))
        .distinct()
        .toArray();
  }

  static Path top(Path carrier) throws IOException {
    Carrier c = Disks.open(carrier);
    return Disks.file(c, c.current().top());
  }

  /** True while a reset is recorded as pending on {@code c}. */
  private static boolean resetPending(Carrier c) {
    String work = c.manifest().unfinishedWork();
    return work != null && work.startsWith("reset");
  }

  static void assertQemuCheck(Path image, String at) throws IOException {
    Disks.Result r = Disks.exec("qemu-img", "check", image.toString());
    assertTrue(r.exit() == 0 || r.exit() == 3, "qemu-img check " + image + " " + at + r);
  }

  static void assertEachClusterOldOrNew(byte[] found, byte[] old, byte[] now, String at) {
    for (int c = 0; c < found.length; c += HostSync.CLUSTER) {
      int end = c + HostSync.CLUSTER;
      assertTrue(
          Arrays.equals(found, c, end, old, c, end) || Arrays.equals(found, c, end, now, c, end),
          "cluster at " + c + " is neither old nor new " + at);
    }
  }

  private static void runChild(Path root, long cutAt, Path carrier, Path host, long resetAbove)
      throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb =
        new ProcessBuilder(
            java.toString(),
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xshare:auto",
            "-cp",
            System.getProperty("java.class.path"),
            CutSyncMain.class.getName(),
            carrier.toString(),
            host.toString(),
            "h",
            Long.toString(resetAbove));
    pb.environment().remove("CARRYON_CUT_COUNT_FILE");
    pb.environment().put("CARRYON_CUT_ROOT", root.toString());
    pb.environment().put("CARRYON_CUT_AT", Long.toString(cutAt));
    pb.redirectErrorStream(true);
    Path log = root.resolveSibling(root.getFileName() + ".log");
    pb.redirectOutput(log.toFile());
    int exit = pb.start().waitFor();
    assertEquals(
        WritePoints.CUT_EXIT_CODE, exit, "child cut at " + cutAt + ":\n" + Files.readString(log));
  }
}
