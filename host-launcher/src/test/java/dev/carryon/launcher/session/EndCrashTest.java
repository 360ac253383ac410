package dev.carryon.launcher.session;

import static dev.carryon.testdata.FileTrees.copyTree;
import static dev.carryon.testdata.FileTrees.deleteTree;
import static dev.carryon.launcher.session.SessionKit.firstTick;
import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.qemuImg;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierKeys;
import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.Manifest;
import dev.carryon.carrier.Verification;
import dev.carryon.cow.io.WritePoints;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.host.SessionRecord;
import dev.carryon.launcher.host.SessionState;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash proof of {@code end}: a session whose RAM state is saved on the host is cut at every
 * write point of its carrier part (a pulled cable, as {@link WritePoints} simulates it); after each
 * cut the carrier verifies, holds exactly the old or the new generation, and running {@code end}
 * again makes exactly the new one, which another host resumes without a reboot. A kill during the
 * local save is finished the same way, and so is a cut at any of the host's own writes.
 *
 * <p>The end sends the state to the carrier while QEMU saves it to the host, and commits only once
 * both copies are whole: the harness starts from an end cut at its layer's first write (the state
 * saved and recorded on the host, QEMU gone, part or all of the state already on the carrier), so
 * every cut after it also proves that the next end goes on from the carrier's part of the state.
 */
class EndCrashTest {
  /** More points than this are spread evenly, to bound the harness's time. */
  private static final int MAX_CUTS = 200;
  /**
   * The same on an encrypted carrier: 25 of its 56 write points (97 before the state went up
   * beside the save), as each cut costs 5.5 s there (a fresh JVM, the images read through their
   * key; under a load average of 8 on 2 cores): all of them would add 5 minutes to CI, these add
   * under 2.5.
   */
  private static final int MAX_ENCRYPTED_CUTS = 25;
  /** The encrypted carrier's passphrase. */
  private static final String PASSPHRASE = "correct horse battery";

  @TempDir static Path root;

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  @Test
  void anEndCutAtAnyCarrierWriteLeavesTheOldOrTheNewGenerationAndFinishes() throws Exception {
    cutEnds(Files.createDirectories(root.resolve("cut")), false);
  }

  /**
   * The same on an encrypted carrier (LUKS images, sealed states and manifest), read with the key;
   * cut at {@value #MAX_ENCRYPTED_CUTS} points spread over the end (both sides of the commit), and
   * resumed elsewhere after one cut.
   */
  @Test
  void onAnEncryptedCarrierAnEndCutAtAnyCarrierWriteLeavesTheOldOrTheNewGeneration()
      throws Exception {
    CarrierKeys.use(carrier -> PASSPHRASE.toCharArray());
    cutEnds(Files.createDirectories(root.resolve("cut-encrypted")), true);
  }

  private void cutEnds(Path dir, boolean encrypted) throws Exception {
    long started = System.nanoTime();
    Path pass = Files.writeString(dir.resolve("pass"), PASSPHRASE + "\n");
    Map<String, String> env =
        encrypted ? Map.of("CARRYON_PASSPHRASE_FILE", pass.toString()) : Map.of();
    TestHost a = new TestHost(dir.resolve("hostA"), "hostA", env);
    // Keep 2: the new generation retires generation 1, merges layer L2 into the COW and rebases
    // L3 onto it, so every step of the commit protocol is cut.
    // synctick: the guest syncs every tick, so each session surely changes the disk (its ticks
    // would otherwise sit in its page cache, and a short session could change nothing).
    List<String> init = new ArrayList<>(
        List.of("--keep", "2", "--append", SessionKit.APPEND + " synctick=1"));
    if (encrypted) {
      init.add("--encrypt");
    }
    TestCarrier carrier =
        SessionKit.initCarrier(a, dir.resolve("carrier"), init.toArray(String[]::new));
    Disk disk = new Disk(encrypted
        ? CarrierLuks.of(carrier.folder(), PASSPHRASE, dir.resolve("disk.secret")) : null);
    a.resume(carrier, dir.resolve("1.log"));
    ConsoleLog first = new ConsoleLog(dir.resolve("1.log"));
    tickAbove(first, 1);
    a.end(carrier);
    a.resume(carrier, dir.resolve("2.log"));
    ConsoleLog second = new ConsoleLog(dir.resolve("2.log"));
    tickAbove(second, first.lastTick().orElseThrow().n() + 1);

    // Saved on the host (QEMU quits), cut at the layer's first write, which begins once QEMU quit.
    a.run(Map.of("CARRYON_CUT_ROOT", carrier.folder().resolve("tmp/L3.qcow2").toString(),
            "CARRYON_CUT_AT", "1"), "end", carrier.toString())
        .expect(WritePoints.CUT_EXIT_CODE);
    ConsoleLog.Tick atSave = second.lastTick().orElseThrow();
    SessionRecord saved = openSession(a, carrier).orElseThrow();
    assertEquals(SessionState.SAVED, saved.state());
    assertEquals(List.of(), SessionKit.qemusUnder(dir));
    // Its keeper may still run (end tells it to stop once QEMU quits and waits for it after the
    // commit) and write its status into the host folder: stopped here, or it would write into the
    // copies the harness puts back.
    SessionKeeper.stop(saved.workDir());

    Path snapshots = Files.createDirectories(dir.resolve("snapshots"));
    Path carrierSnap = snapshots.resolve("carrier");
    Path homeSnap = snapshots.resolve("home");
    copyTree(carrier.folder(), carrierSnap);
    copyTree(a.home(), homeSnap);
    Path oldRaw = disk.toRaw(carrier, snapshots.resolve("old.raw"));

    restore(carrierSnap, carrier, homeSnap, a.home());
    Path countFile = dir.resolve("count");
    a.run(Map.of("CARRYON_CUT_ROOT", carrier.folder().toString(), "CARRYON_CUT_COUNT_FILE", countFile.toString()),
            "end", carrier.toString())
        .expect(0);
    int count = Integer.parseInt(Files.readString(countFile).strip());
    Manifest reference;
    try (Carrier c = SessionKit.open(carrier)) {
      reference = c.manifest();
    }
    assertEquals(3, reference.currentGeneration());
    Path newRaw = disk.toRaw(carrier, snapshots.resolve("new.raw"));
    assertFalse(SessionKit.sameContent(oldRaw, newRaw), "the session changed nothing on the disk");

    List<Integer> points = spread(count, encrypted ? MAX_ENCRYPTED_CUTS : MAX_CUTS);
    System.err.printf("EndCrashTest: %d write points, cutting at %d of them%n", count, points.size());
    Map<Integer, Long> generationAfterCut = new TreeMap<>();
    for (int k : points) {
      restore(carrierSnap, carrier, homeSnap, a.home());
      String shown =
          a.run(cut(carrier, k), "end", carrier.toString()).expect(WritePoints.CUT_EXIT_CODE).out();
      if (k == points.get(points.size() - 1)) {
        // Each step is printed as it completes: a killed end has shown how far it got.
        assertTrue(shown.contains("write the layer of generation 3"), shown);
        assertTrue(shown.contains("write the state of generation 3"), shown);
      } else if (k == 1) {
        assertFalse(shown.contains("write the"), shown);
      }
      long g = checkCarrier(carrier, disk, oldRaw, newRaw, "after a cut at write point " + k);
      generationAfterCut.put(k, g);
      endAgain(a, carrier, disk, newRaw, reference, "after a cut at write point " + k);
    }
    System.err.println("EndCrashTest: generation after each cut: " + generationAfterCut);
    assertEquals(2L, generationAfterCut.get(points.get(0)));
    assertEquals(3L, generationAfterCut.get(points.get(points.size() - 1)));
    int commit =
        generationAfterCut.entrySet().stream()
            .filter(e -> e.getValue() == 3)
            .mapToInt(Map.Entry::getKey)
            .min()
            .orElseThrow();

    // Resumed elsewhere after an early cut, the last cut before the commit, and one after it.
    List<Integer> samples = encrypted
        ? List.of(points.get(points.indexOf(commit) - 1))
        : List.of(points.get(0), points.get(points.indexOf(commit) - 1), (commit + count + 1) / 2);
    System.err.println("EndCrashTest: resuming on another host after cuts at " + samples);
    for (int k : samples) {
      restore(carrierSnap, carrier, homeSnap, a.home());
      a.run(cut(carrier, k), "end", carrier.toString()).expect(WritePoints.CUT_EXIT_CODE);
      a.end(carrier);
      TestHost b = new TestHost(dir.resolve("hostB-" + k), "hostB-" + k, env);
      Path log = dir.resolve("B-" + k + ".log");
      b.resume(carrier, log);
      ConsoleLog.Tick resumed = firstTick(new ConsoleLog(log));
      assertEquals(atSave.bootId(), resumed.bootId(), "cut at " + k);
      assertTrue(resumed.n() > atSave.n(), () -> "cut at " + k + ": " + resumed + " after " + atSave);
      b.run("end", "--discard", carrier.toString()).expect(0);
    }
    System.err.printf(
        "EndCrashTest: harness took %.0f s%n", (System.nanoTime() - started) / 1e9);
  }

  @Test
  void anEndKilledDuringTheSaveIsFinishedByEndingAgain() throws Exception {
    Path dir = Files.createDirectories(root.resolve("kill"));
    TestHost a = host(dir, "hostA");
    TestCarrier carrier = SessionKit.initCarrier(a, dir.resolve("carrier"));
    ConsoleLog console = resumeUntilTicking(a, carrier, dir.resolve("A.log"));

    Process end =
        a.start(Map.of(), dir.resolve("end.out"), dir.resolve("end.err"), "end", carrier.toString());
    Path sessions = a.home().resolve("sessions");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!stateStarted(sessions)) {
      assertTrue(end.isAlive(), () -> "end finished before it could be killed: " + read(dir, "end.err"));
      assertTrue(System.nanoTime() < deadline, "no state file appeared");
      SessionKit.sleep(10);
    }
    end.destroyForcibly().waitFor();
    assertEquals(137, end.exitValue());
    assertEquals(1, SessionKit.qemusUnder(dir).size(), "the detached QEMU should still run");
    assertEquals(1, a.status(carrier).get("generation").asLong());

    assertTrue(a.end(carrier).out().contains("generation 2 committed"));
    assertEquals(List.of(), SessionKit.qemusUnder(dir));
    a.run("verify", carrier.toString()).expect(0);
    ConsoleLog.Tick atSave = console.lastTick().orElseThrow();

    TestHost b = host(dir, "hostB");
    b.resume(carrier, dir.resolve("B.log"));
    ConsoleLog.Tick resumed = firstTick(new ConsoleLog(dir.resolve("B.log")));
    assertEquals(atSave.bootId(), resumed.bootId());
    assertTrue(resumed.n() > atSave.n(), () -> resumed + " after " + atSave);
    b.run("end", "--discard", carrier.toString()).expect(0);
  }

  /**
   * The host's side of an end (the forced state file, the catalog's records) cut at each of its
   * writes: ending again always commits a generation with the guest's RAM state, and the next
   * resume continues the guest. A cut between the saved state and QEMU's quit must not lose that
   * state: QEMU quits only once the catalog says the state is whole.
   */
  @Test
  void anEndCutAtAnyHostWriteStillCommitsTheRamState() throws Exception {
    Path dir = Files.createDirectories(root.resolve("host-cut"));
    TestHost a = host(dir, "hostA");
    TestCarrier carrier = SessionKit.initCarrier(a, dir.resolve("carrier"));
    ConsoleLog console = resumeUntilTicking(a, carrier, dir.resolve("0.log"));
    Path countFile = dir.resolve("count");
    a.run(Map.of("CARRYON_CUT_ROOT", a.home().toString(), "CARRYON_CUT_COUNT_FILE", countFile.toString()),
            "end", carrier.toString())
        .expect(0);
    int count = Integer.parseInt(Files.readString(countFile).strip());
    // The state's force and the session's SAVED record at least, then ENDED after the commit.
    assertTrue(count >= 3, "only " + count + " host write points in an end");

    ConsoleLog.Tick before = console.lastTick().orElseThrow();
    for (int k = 1; k <= count; k++) {
      String when = "cut at host write point " + k + " of " + count;
      Path log = dir.resolve(k + ".log");
      a.resume(carrier, log);
      console = new ConsoleLog(log);
      ConsoleLog.Tick first = firstTick(console);
      ConsoleLog.Tick last = before;
      assertEquals(last.bootId(), first.bootId(), when + ": the guest rebooted");
      assertTrue(first.n() > last.n(), () -> when + ": " + first + " after " + last);
      tickAbove(console, first.n() + 1);

      a.run(Map.of("CARRYON_CUT_ROOT", a.home().toString(), "CARRYON_CUT_AT", Integer.toString(k)),
              "end", carrier.toString())
          .expect(WritePoints.CUT_EXIT_CODE);
      String ended = a.end(carrier).out();
      assertTrue(ended.contains("committed"), when + ": " + ended);
      assertEquals(List.of(), SessionKit.qemusUnder(dir), when + ": a QEMU was left running");
      try (Carrier c = SessionKit.open(carrier)) {
        assertTrue(c.verify().passed(), when);
        assertTrue(c.current().state() != null, when + ": generation without a RAM state");
        assertEquals(null, c.manifest().lease(), when);
      }
      before = console.lastTick().orElseThrow();
    }
    a.resume(carrier, dir.resolve("last.log"));
    ConsoleLog.Tick resumed = firstTick(new ConsoleLog(dir.resolve("last.log")));
    ConsoleLog.Tick last = before;
    assertEquals(last.bootId(), resumed.bootId());
    assertTrue(resumed.n() > last.n(), () -> resumed + " after " + last);
    a.run("end", "--discard", carrier.toString()).expect(0);
  }

  /** Resumes {@code carrier} on {@code host} with its console in {@code log}; returns once it ticks. */
  private static ConsoleLog resumeUntilTicking(TestHost host, TestCarrier carrier, Path log) throws Exception {
    host.resume(carrier, log);
    ConsoleLog console = new ConsoleLog(log);
    tickAbove(console, 1);
    return console;
  }

  /**
   * Checks a carrier after a cut, read-only: it verifies, and its current chain reads exactly the
   * content of its generation. Returns that generation.
   */
  private static long checkCarrier(
      TestCarrier carrier, Disk disk, Path oldRaw, Path newRaw, String when) throws Exception {
    try (Carrier c = SessionKit.open(carrier)) {
      Verification v = c.verify();
      assertTrue(v.passed(), () -> when + ": " + v.problems());
      long g = c.manifest().currentGeneration();
      assertTrue(g == 2 || g == 3, when + ": generation " + g);
      assertTrue(
          disk.sameContent(SessionKit.file(c, c.current().top()), g == 2 ? oldRaw : newRaw),
          when + ": generation " + g + " does not read its own content");
      return g;
    }
  }

  /** Runs {@code end} again, uncut (in this JVM), and checks it made exactly the new generation. */
  private static void endAgain(TestHost a, TestCarrier carrier, Disk disk, Path newRaw,
      Manifest reference, String when) throws Exception {
    StringWriter log = new StringWriter();
    try (Host host = Host.open(HostHome.at(a.home()))) {
      EndSession.end(
          host, SessionKit.storage(carrier.folder()), EndSession.Mode.HIBERNATE, new PrintWriter(log),
          step -> {});
    }
    try (Carrier c = SessionKit.open(carrier)) {
      Manifest m = c.manifest();
      assertEquals(3, m.currentGeneration(), when);
      assertEquals(null, m.lease(), when);
      assertEquals(null, m.unfinishedWork(), when);
      Generation g = c.current();
      assertEquals(reference.current().chain(), g.chain(), when);
      FileRecord state = m.files().get(g.state());
      assertEquals(reference.files().get(reference.current().state()), state, when);
      assertTrue(c.verify().passed(), when);
      assertTrue(disk.sameContent(SessionKit.file(c, g.top()), newRaw), when + ": not the new content");
    }
    assertEquals(Optional.empty(), openSession(a, carrier), when);
  }

  /** The cut points: all of 1..count, or {@code max} spread evenly with both ends. */
  static List<Integer> spread(int count, int max) {
    List<Integer> points = new ArrayList<>();
    int n = Math.min(count, max);
    for (int i = 0; i < n; i++) {
      int k = n == 1 ? 1 : 1 + (int) ((long) i * (count - 1) / (n - 1));
      if (points.isEmpty() || points.get(points.size() - 1) != k) {
        points.add(k);
      }
    }
    return points;
  }

  private static Map<String, String> cut(TestCarrier carrier, int k) {
    return Map.of(
        "CARRYON_CUT_ROOT", carrier.folder().toString(), "CARRYON_CUT_AT", Integer.toString(k));
  }

  /** Puts the carrier and the host folder back as they were right after the local save. */
  private static void restore(Path carrierSnap, TestCarrier carrier, Path homeSnap, Path home)
      throws Exception {
    deleteTree(carrier.folder());
    deleteTree(home);
    copyTree(carrierSnap, carrier.folder());
    copyTree(homeSnap, home);
  }

  /**
   * How qemu-img reads a carrier's disk: plain, or with the key of an encrypted carrier.
   *
   * @param luks the encrypted carrier's key, or null for a plain carrier
   */
  private record Disk(CarrierLuks luks) {
    /** The current chain of {@code carrier} converted to a raw image. */
    Path toRaw(TestCarrier carrier, Path raw) throws Exception {
      try (Carrier c = SessionKit.open(carrier)) {
        Path top = SessionKit.file(c, c.current().top());
        if (luks != null) {
          return luks.toRaw(top, raw);
        }
        qemuImg(0, "convert", "-O", "raw", top.toString(), raw.toString());
      }
      return raw;
    }

    /** Whether {@code top} and its chain read as the raw image {@code raw}. */
    boolean sameContent(Path top, Path raw) throws Exception {
      return luks != null ? luks.sameContent(top, raw) : SessionKit.sameContent(top, raw);
    }
  }

  private static Optional<SessionRecord> openSession(TestHost host, TestCarrier carrier) throws Exception {
    String id;
    try (Carrier c = SessionKit.open(carrier)) {
      id = c.manifest().carrierId().toString();
    }
    try (Host h = Host.open(HostHome.at(host.home()))) {
      return h.catalog().openSession(id);
    }
  }

  /** True once a session's state file has bytes: the save is under way. */
  private static boolean stateStarted(Path sessions) throws Exception {
    if (!Files.isDirectory(sessions)) {
      return false;
    }
    try (Stream<Path> s = Files.walk(sessions)) {
      return s.anyMatch(
          p -> p.getFileName().toString().equals(ResumeSession.LOCAL_STATE) && size(p) > 0);
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (java.io.IOException e) {
      return 0;
    }
  }

  private static String read(Path dir, String name) {
    try {
      return Files.readString(dir.resolve(name));
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
