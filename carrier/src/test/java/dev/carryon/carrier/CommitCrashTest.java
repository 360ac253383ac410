package dev.carryon.carrier;

import static dev.carryon.testdata.FileTrees.copyTree;
import static dev.carryon.testdata.FileTrees.deleteTree;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.cow.DiskImage;
import dev.carryon.cow.ImageSecrets;
import dev.carryon.cow.io.WritePoints;
import dev.carryon.testdata.CutChild;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cuts a whole session end (copy in, commit, merge, cleanup) at every one of its write points, in a
 * child JVM, and checks that opening the carrier afterwards finds the old generation or the new
 * one, whole, with every chain reading exactly as it should.
 */
class CommitCrashTest {
  /** The session the cut end belongs to; it holds the lease in the template. */
  private static final String SESSION = "cut-session";

  @TempDir Path dir;

  /** The passphrase of the encrypted carrier the second test cuts. */
  private static final String PASSPHRASE = "cut passphrase";

  @AfterEach
  void unwatch() {
    WritePoints.watch(null);
    CarrierKeys.forget();
  }

  /** The end that is cut: the session that resumed {@code resumed} ends as the next generation. */
  static EndResult endSession(Path carrier, Path work, long resumed) throws IOException {
    try (Carrier c = Fixtures.openForWrite(carrier)) {
      return Fixtures.end(c, Fixtures.OFFICE, SESSION, resumed, work);
    }
  }

  /**
   * A carrier of real qcow2 images keeping 2 generations, at generation 2, ends a session that
   * resumed 2: generation 3 retires 1, so L2 is merged into the COW by cow-merge, L3 is rebased
   * onto the COW, and S1 and L2 are deleted. Write points: copy the local COW in and rebase the
   * copy (create, write, force, header, force), copy the state in (3), move both into place and
   * force their folders (4), commit (create, write and force the new manifest, rename it, force the
   * folder: 5), the merge's own writes and forces, rebase L3 (header, force), commit (5), delete S1
   * and L2 (2).
   */
  @Test
  void everyCutLeavesTheOldOrTheNewGenerationWhole() throws Exception {
    cut(false, Integer.MAX_VALUE);
  }

  /**
   * The same on an encrypted carrier, whose every commit is sealed: a cut never leaves a manifest
   * its key does not confirm. Cut at 6 points spread over the end: each child unlocks the key (Argon2id, some seconds in a child JVM held to C1), and the plain test above cuts at every point.
   */
  @Test
  void onAnEncryptedCarrierEveryCutLeavesASealedGeneration() throws Exception {
    CarrierKeys.use(carrier -> PASSPHRASE.toCharArray());
    cut(true, 6);
  }

  /** Cuts the end at every write point, or at {@code maxCuts} of them spread over it. */
  private void cut(boolean encrypted, int maxCuts) throws Exception {
    int keep = 2;
    long resumed = 2;
    Path template = template(keep, 1, encrypted);
    Snapshot before = Snapshot.of(template);

    Path reference = copyTree(template, dir.resolve("reference"));
    WritePoints.watch(reference);
    EndResult result = endSession(reference, dir.resolve("work-reference"), resumed);
    long points = WritePoints.reached();
    WritePoints.watch(null);
    Snapshot after = Snapshot.of(reference);
    assertEquals(before.current + 1, after.current);
    assertEquals(List.of(1L), result.retired());
    assertEquals(List.of("layers/L2.qcow2"), result.merged());
    // An encrypted carrier holds the user's raw base as LUKS qcow2.
    String base = encrypted ? "base.qcow2" : "base.raw";
    assertEquals(List.of(base, "cow.qcow2", "layers/L3.qcow2"), after.chains.get(1));
    assertTrue(points > 30, points + " write points of the session end");

    Path scratch = dir.resolve("scratch.raw");
    // Backing names L3 was found recording while the merge of L2 was pending, over all cuts.
    Set<String> pendingLinks = new TreeSet<>();
    for (long k : CutChild.points(points + 1, maxCuts)) {
      Path carrier = copyTree(template, dir.resolve("cut-" + k));
      int exit = runChild(carrier, dir.resolve("work-" + k), resumed, k, encrypted);
      assertEquals(k <= points ? WritePoints.CUT_EXIT_CODE : 0, exit, "child cut at " + k);

      String at = "after a cut at write point " + k;
      // As found, before any recovery: what a read-only command sees.
      Carrier found = Fixtures.open(carrier);
      assertEquals(List.of(), found.verify().problems(), "read-only " + at);
      // A merge may be pending: the chains may still hold the layer, the content is the same.
      Snapshot raw = Snapshot.of(found);
      (raw.current == before.current ? before : after).assertSameContent(raw, "read-only " + at);
      assertQemuReads(found, raw.current == before.current ? before : after, scratch, at);
      if (found.manifest().pending() != null) {
        assertEquals("layers/L3.qcow2", found.manifest().pending().rebase(), at);
        try (DiskImage l3 = DiskImage.open(Fixtures.file(found, "layers/L3.qcow2"), false)) {
          pendingLinks.add(l3.backingFileName());
        }
      }

      try (Carrier c = Fixtures.openForWrite(carrier)) {
        assertEquals(List.of(), c.verify().problems(), at);
        Snapshot now = Snapshot.of(c);
        assertOnlyReferencedFiles(c, at);
        if (now.current == before.current) {
          before.assertSameAs(now, at);
          assertEquals(SESSION, c.manifest().lease().sessionId(), at);
        } else {
          after.assertSameAs(now, at);
          assertNull(c.manifest().lease(), at);
        }
        assertQemuReads(c, now.current == before.current ? before : after, scratch, at);
      }
      if (Snapshot.of(carrier).current == before.current) {
        // The session's local COW is still on its host: ending again must work.
        endSession(carrier, dir.resolve("work-retry-" + k), resumed);
        after.assertSameAs(Snapshot.of(carrier), "after a retry of the end cut at " + k);
      }
      deleteTree(carrier);
      deleteTree(dir.resolve("work-" + k));
    }
    // The cuts fell both before and after the rebase of L3, and both header states read the same.
    if (maxCuts > points) {
      assertEquals(Set.of("../cow.qcow2", "../layers/L2.qcow2"), pendingLinks);
    }
  }

  /**
   * A carrier from before chunk lists (generation 3 of keep 2: base, COW with L2 merged, L3) is
   * opened for write, cut at every write point: the lists are written, forced and moved into place,
   * then committed. Each cut leaves a carrier that reads the same, with or without lists, and the
   * next write-open ends with every list true and no stray one.
   */
  @Test
  void everyCutOfTheUpgradeToChunkListsLeavesAWholeCarrier() throws Exception {
    Path template = template(2, 1, false);
    endSession(template, dir.resolve("work-template"), 2);
    ChunkListTest.makeVersion1(template);
    Snapshot before = Snapshot.of(template);

    Path reference = copyTree(template, dir.resolve("reference"));
    WritePoints.watch(reference);
    Fixtures.openForWrite(reference).close();
    long points = WritePoints.reached();
    WritePoints.watch(null);
    assertTrue(points >= 8, points + " write points of the upgrade");
    boolean sawWithout = false;
    boolean sawWith = false;
    for (long k = 1; k <= points + 1; k++) {
      Path carrier = copyTree(template, dir.resolve("up-" + k));
      int exit = runChild(carrier, k, CutUpgradeMain.class, carrier.toString());
      assertEquals(k <= points ? WritePoints.CUT_EXIT_CODE : 0, exit, "child cut at " + k);
      String at = "after a cut of the upgrade at write point " + k;
      Carrier found = Fixtures.open(carrier);
      assertEquals(List.of(), found.verify().problems(), "read-only " + at);
      before.assertSameAs(Snapshot.of(found), at);
      if (found.manifest().chunks() == null) {
        sawWithout = true;
      } else {
        sawWith = true;
      }
      try (Carrier c = Fixtures.openForWrite(carrier)) {
        assertEquals(List.of(), c.verify().problems(), at);
        before.assertSameAs(Snapshot.of(c), at);
        assertOnlyReferencedFiles(c, at);
      }
      deleteTree(carrier);
    }
    assertTrue(sawWithout && sawWith, "cuts fell before and after the upgrade's commit");
  }

  /**
   * The oracle: {@code qemu-img convert} of the current top, following the headers' backing names,
   * reads as {@code expected}'s current generation, and {@code qemu-img check} finds no corruption
   * in any qcow2 image (exit 0, or 3 for leaked clusters a cut merge may leave).
   */
  private static void assertQemuReads(Carrier c, Snapshot expected, Path scratch, String at)
      throws IOException {
    Path secretFile = c.diskSecret().isEmpty() ? null
        : Files.write(scratch.resolveSibling("disk.secret"), c.diskSecret().get());
    assertArrayEquals(
        expected.disks.get(expected.kept.indexOf(expected.current)),
        Images.qemuRead(Fixtures.file(c, c.current().top()), scratch, secretFile),
        "qemu-img convert of the top " + at);
    for (String name : c.manifest().files().keySet()) {
      if (name.endsWith(".qcow2")) {
        List<String> check = new ArrayList<>(List.of("qemu-img", "check"));
        check.addAll(Images.opening(Fixtures.file(c, name), secretFile));
        Images.Result r = Images.exec(check.toArray(String[]::new));
        assertTrue(r.exit() == 0 || r.exit() == 3, "qemu-img check " + name + " " + at + r);
      }
    }
  }

  /** A carrier with {@code sessions} ended sessions and the lease held by the session to cut. */
  private Path template(int keep, int sessions, boolean encrypted) throws IOException {
    try (Carrier c = encrypted
        ? Carrier.create(Fixtures.storage(dir.resolve("t/carrier")),
            Fixtures.init(dir.resolve("t/src"), keep), Progress.NONE, new TestClock(Instant.now()),
            PASSPHRASE.toCharArray())
        : Fixtures.create(dir.resolve("t"), keep, new TestClock(Instant.now()))) {
      for (int i = 0; i < sessions; i++) {
        Fixtures.session(c, Fixtures.HOME, c.current().number(), dir.resolve("t-work"));
      }
      c.takeLease(Fixtures.OFFICE, SESSION);
      return Fixtures.folder(c);
    }
  }

  private static int runChild(Path carrier, Path work, long resumed, long cutAt, boolean encrypted)
      throws Exception {
    List<String> args = new ArrayList<>(List.of(carrier.toString(), work.toString(), Long.toString(resumed)));
    if (encrypted) {
      args.add(PASSPHRASE);
    }
    return runChild(carrier, cutAt, CutEndMain.class, args.toArray(new String[0]));
  }

  /** Runs {@code main} with {@code args} in a child JVM cut at write point {@code cutAt}. */
  private static int runChild(Path carrier, long cutAt, Class<?> main, String... args)
      throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new ArrayList<>(
            List.of(
                java.toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().remove("CARRYON_CUT_COUNT_FILE");
    pb.environment().put("CARRYON_CUT_ROOT", carrier.toString());
    pb.environment().put("CARRYON_CUT_AT", Long.toString(cutAt));
    pb.redirectErrorStream(true);
    Path log = carrier.resolveSibling(carrier.getFileName() + ".log");
    pb.redirectOutput(log.toFile());
    int exit = pb.start().waitFor();
    if (exit != 0 && exit != WritePoints.CUT_EXIT_CODE) {
      throw new AssertionError("child cut at " + cutAt + " failed:\n" + Files.readString(log));
    }
    return exit;
  }

  /**
   * layers/ and states/ hold exactly the files the manifest references; tmp/ only what a cut end
   * of the lease holder may continue; every kept image's chunk list is there and true, with no
   * other list.
   */
  private static void assertOnlyReferencedFiles(Carrier c, String at) throws IOException {
    Set<String> expected = new TreeSet<>();
    for (String name : c.manifest().files().keySet()) {
      if (name.startsWith("layers/") || name.startsWith("states/")) {
        expected.add(name);
      }
    }
    Set<String> found = new TreeSet<>(CarrierTest.filesIn(c, "layers"));
    found.addAll(CarrierTest.filesIn(c, "states"));
    assertEquals(expected, found, at);
    // While the session holds the lease, tmp/ keeps what its cut end had copied in (and nothing
    // else) for the retry to continue; once committed, tmp/ is empty.
    Set<String> tmp = CarrierTest.filesIn(c, "tmp");
    if (c.manifest().lease() == null) {
      assertEquals(Set.of(), tmp, at);
    } else {
      Set<String> resumable = new TreeSet<>(SessionEnd.tmpNames(c.current().number() + 1));
      assertTrue(resumable.containsAll(tmp), at + ": tmp/ holds " + tmp);
    }
    ChunkListTest.assertListsMatch(c, at);
  }

  /** The guest-visible content of every kept generation of a carrier. */
  record Snapshot(
      long current,
      List<Long> kept,
      List<List<String>> chains,
      List<byte[]> disks,
      List<byte[]> states) {
    static Snapshot of(Path carrier) throws IOException {
      return of(Fixtures.open(carrier));
    }

    static Snapshot of(Carrier c) throws IOException {
      List<Long> kept = new ArrayList<>();
      List<List<String>> chains = new ArrayList<>();
      List<byte[]> disks = new ArrayList<>();
      List<byte[]> states = new ArrayList<>();
      for (Generation g : c.checkpoints()) {
        kept.add(g.number());
        chains.add(g.chain());
        disks.add(Images.read(Fixtures.file(c, g.top()),
            c.diskSecret().map(ImageSecrets::of).orElse(ImageSecrets.NONE)));
        states.add(Files.readAllBytes(Fixtures.stateFile(c, g)));
      }
      return new Snapshot(c.current().number(), kept, chains, disks, states);
    }

    void assertSameAs(Snapshot other, String at) {
      assertEquals(chains, other.chains, at);
      assertSameContent(other, at);
    }

    void assertSameContent(Snapshot other, String at) {
      assertEquals(kept, other.kept, at);
      for (int i = 0; i < kept.size(); i++) {
        assertArrayEquals(disks.get(i), other.disks.get(i), "disk of " + kept.get(i) + " " + at);
        assertArrayEquals(states.get(i), other.states.get(i), "state of " + kept.get(i) + " " + at);
      }
    }
  }

}
