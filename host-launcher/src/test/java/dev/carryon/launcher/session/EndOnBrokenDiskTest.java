package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.firstTick;
import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code end} onto a carrier that cannot take the new generation: its file system is full, or was
 * made read-only. The end fails with one clear line, the carrier stays at the previous generation
 * and verifies, the session keeps its lease and the host keeps its work files; once the carrier is
 * fixed, {@code end} again commits the new generation and another host resumes the guest where it
 * was. And an end whose local save finds the host's own disk full: the guest runs on. The full or
 * read-only disk is a tmpfs mounted by the test (tests run as root).
 */
class EndOnBrokenDiskTest {
  /** Room for the initial carrier; the real size of each test is set after {@code init}. */
  private static final String INIT_SIZE = "100m";
  /** Room left free on the "full" carrier: far less than the guest's compressed RAM state. */
  private static final long SPARE_MIB = 4;

  @TempDir static Path root;

  /** The tmpfs this test mounted, or null. */
  private Path mounted;

  @AfterEach
  void unmount() throws Exception {
    // A failed test may leave its guests running; they hold the carrier open.
    List<Long> left = SessionKit.qemusUnder(root);
    for (long pid : left) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      SessionKit.awaitExit(pid, Duration.ofSeconds(10));
    }
    String unmounted = mounted == null ? null : run("umount", mounted.toString());
    assertEquals(List.of(), left, "QEMU processes left running under " + root);
    assertEquals(null, unmounted, () -> "umount " + mounted);
    mounted = null;
  }

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  @Test
  void anEndOntoAFullCarrierFailsClearlyAndFinishesOnceThereIsRoom() throws Exception {
    Path dir = Files.createDirectories(root.resolve("full"));
    TestHost a = host(dir, "hostA");
    Path folder = mountTmpfs(dir.resolve("carrier"), INIT_SIZE);
    TestCarrier carrier = SessionKit.initCarrier(a, folder);
    long usedMib = usedMib(folder);
    String full = (usedMib + SPARE_MIB) + "m";
    remount(folder, "size=" + full);
    System.err.printf("EndOnBrokenDiskTest: carrier uses %d MiB after init; tmpfs size %s%n", usedMib, full);

    Session s = startSession(a, carrier, dir.resolve("A.log"));
    Map<String, String> before = SessionKit.fingerprint(carrier);
    failingEnd(a, carrier, "No space left on device", folder);

    // Only tmp/ may hold the cut copy, which the next write-open clears.
    Map<String, String> after = new HashMap<>(SessionKit.fingerprint(carrier));
    after.keySet().removeIf(name -> name.startsWith("tmp/"));
    assertEquals(before, after, "the full carrier changed outside tmp/");
    assertUnchangedButHeld(a, carrier, s);
    assertEquals(List.of(), SessionKit.qemusUnder(dir), "the guest was saved: its QEMU quit");
    assertWorkKept(s);

    remount(folder, "size=200m");
    endAgainAndResumeElsewhere(a, carrier, s, dir);
  }

  @Test
  void anEndOntoAReadOnlyCarrierChangesNothingAndFinishesOnceWritable() throws Exception {
    Path dir = Files.createDirectories(root.resolve("readonly"));
    TestHost a = host(dir, "hostA");
    Path folder = mountTmpfs(dir.resolve("carrier"), INIT_SIZE);
    TestCarrier carrier = SessionKit.initCarrier(a, folder);

    Session s = startSession(a, carrier, dir.resolve("A.log"));
    Map<String, String> before = SessionKit.fingerprint(carrier);
    remount(folder, "ro");
    failingEnd(a, carrier, "Read-only file system", folder);

    assertEquals(before, SessionKit.fingerprint(carrier), "the read-only carrier changed");
    assertUnchangedButHeld(a, carrier, s);
    assertWorkKept(s);

    remount(folder, "rw");
    endAgainAndResumeElsewhere(a, carrier, s, dir);
  }

  @Test
  void aSaveOntoAFullHostDiskLeavesTheGuestRunningAndFinishesOnceThereIsRoom() throws Exception {
    Path dir = Files.createDirectories(root.resolve("host-full"));
    TestHost a = host(dir, "hostA");
    mountTmpfs(a.home(), INIT_SIZE);
    TestCarrier carrier = SessionKit.initCarrier(a, dir.resolve("carrier"));
    Session s = startSession(a, carrier, dir.resolve("A.log"));
    // Room for the catalog and a few more COW clusters, not for the compressed RAM state.
    String full = (usedMib(a.home()) + 2 * SPARE_MIB) + "m";
    remount(a.home(), "size=" + full);
    System.err.printf("EndOnBrokenDiskTest: host folder tmpfs size %s%n", full);

    Map<String, String> before = SessionKit.fingerprint(carrier);
    Path state = s.workDir().resolve(ResumeSession.LOCAL_STATE);
    String line = failingEnd(a, carrier, "No space left on device", state);
    assertTrue(line.contains("the guest runs on"), line);

    assertEquals(before, SessionKit.fingerprint(carrier), "the carrier changed");
    assertUnchangedButHeld(a, carrier, s);
    assertFalse(Files.exists(state), "the partial state was kept");
    assertEquals(1, SessionKit.qemusUnder(dir).size(), "the guest's QEMU is gone");
    ConsoleLog.Tick atFailure = s.console().lastTick().orElseThrow();
    ConsoleLog.Tick later = tickAbove(s.console(), atFailure.n() + 2);
    assertEquals(atFailure.bootId(), later.bootId(), "the guest rebooted");

    remount(a.home(), "size=300m");
    endAgainAndResumeElsewhere(a, carrier, s, dir);
  }

  /** Runs {@code end}, which must fail with one line naming {@code where} and {@code reason}. */
  private static String failingEnd(TestHost a, TestCarrier carrier, String reason, Path where)
      throws Exception {
    Run failed = a.run("end", carrier.toString());
    assertNotEquals(0, failed.exit(), () -> "end should have failed: " + failed);
    String line = failed.errorLine();
    assertTrue(line.contains(reason), line);
    assertTrue(line.contains(where.toString()), () -> "the message does not name " + where + ": " + line);
    System.err.println("EndOnBrokenDiskTest: " + line);
    return line;
  }

  /** A running session: its id, work folder and console. */
  private record Session(String id, Path workDir, ConsoleLog console) {}

  /** Resumes generation 1 on {@code a} detached and waits until the guest ticks. */
  private static Session startSession(TestHost a, TestCarrier carrier, Path log) throws Exception {
    assertTrue(a.resume(carrier, log).out().contains("cold-booted generation 1"));
    ConsoleLog console = new ConsoleLog(log);
    tickAbove(console, 1);
    JsonNode lease = a.status(carrier).get("session");
    assertFalse(lease.isNull(), "resume took no lease");
    String id = lease.get("id").asText();
    return new Session(id, a.home().resolve("sessions").resolve(id), console);
  }

  /** The failed end left generation 1, verifying, leased by the same session. */
  private static void assertUnchangedButHeld(TestHost a, TestCarrier carrier, Session s) throws Exception {
    a.run("verify", carrier.toString()).expect(0);
    JsonNode status = a.status(carrier);
    assertEquals(1, status.get("generation").asLong(), status::toString);
    assertEquals(1, status.get("checkpoints").size(), status::toString);
    JsonNode lease = status.get("session");
    assertFalse(lease.isNull(), "the failed end released the lease");
    assertEquals(s.id(), lease.get("id").asText());
    assertEquals("hostA", lease.get("host_name").asText());
  }

  /** The host still has the session's disk changes and its saved RAM state. */
  private static void assertWorkKept(Session s) throws IOException {
    Path cow = s.workDir().resolve(ResumeSession.LOCAL_COW);
    Path state = s.workDir().resolve(ResumeSession.LOCAL_STATE);
    assertTrue(Files.isRegularFile(cow), cow + " was not kept");
    assertTrue(Files.isRegularFile(state) && Files.size(state) > 0, state + " was not kept");
  }

  /** {@code end} again commits generation 2; another host resumes the guest without a reboot. */
  private static void endAgainAndResumeElsewhere(TestHost a, TestCarrier carrier, Session s, Path dir)
      throws Exception {
    ConsoleLog.Tick atSave = s.console().lastTick().orElseThrow();
    assertTrue(a.end(carrier).out().contains("generation 2 committed"));
    a.run("verify", carrier.toString()).expect(0);
    JsonNode status = a.status(carrier);
    assertEquals(2, status.get("generation").asLong(), status::toString);
    assertTrue(status.get("session").isNull(), "the lease was not released");
    assertFalse(Files.exists(s.workDir()), "the work files outlived the commit");
    assertEquals(List.of(), list(carrier.resolve("tmp")), "leftovers in the carrier's tmp/");

    TestHost b = host(dir, "hostB");
    Path log = dir.resolve("B.log");
    assertTrue(b.resume(carrier, log).out().contains("resumed generation 2"));
    ConsoleLog.Tick resumed = firstTick(new ConsoleLog(log));
    assertEquals(atSave.bootId(), resumed.bootId(), "the guest rebooted");
    assertTrue(resumed.n() > atSave.n(), () -> resumed + " after " + atSave);
    b.run("end", "--discard", carrier.toString()).expect(0);
  }

  private Path mountTmpfs(Path at, String size) throws Exception {
    Files.createDirectories(at);
    String out = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString());
    if (out != null) {
      fail("cannot mount a tmpfs for the carrier at " + at + " (these tests need root): " + out);
    }
    mounted = at;
    return at;
  }

  private static void remount(Path at, String options) throws Exception {
    String out = run("mount", "-o", "remount," + options, at.toString());
    assertEquals(null, out, () -> "remount," + options + " of " + at);
  }

  /** MiB the tmpfs at {@code at} uses, rounded up. */
  private static long usedMib(Path at) throws Exception {
    var store = Files.getFileStore(at);
    return (store.getTotalSpace() - store.getUnallocatedSpace() + (1 << 20) - 1) >> 20;
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  /** Runs a system command; null on success, else its exit code and output. */
  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command));
    return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out.strip();
  }
}
