package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.firstTick;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Verification;
import dev.carryon.carrier.client.ClientToken;
import dev.carryon.carrier.protocol.Protocol;
import dev.carryon.carrier.server.CuttingLink;
import dev.carryon.launcher.cli.ServeProcess;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carryon end} over HTTP killed (SIGKILL) at three points of its carrier part, against a
 * real {@code carryon serve}: while the layer's first piece is on its way, while the state is on
 * its way (one piece of it on the server), and after the commit's manifest request reached the
 * server (its answer never came back). Each time the carrier is at the old or the new generation,
 * whole; the next {@code end} on the same host takes the dead command's write lock over at once
 * (no wait for its 60 s expiry; another host is refused meanwhile) and commits, continuing the
 * state where the server's copy stops; and the other host resumes the newest generation, the
 * guest continuing without a reboot.
 *
 * <p>The CLI reaches the server through a {@link CuttingLink} that holds it at the chosen request,
 * so each kill lands exactly there.
 */
class UrlEndKilledTest {
  /** Longest the end may take to reach the request it is held at (it saves the RAM first). */
  private static final Duration REACH = Duration.ofSeconds(120);

  @TempDir static Path root;

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  @Test
  void anEndKilledOverHttpIsFinishedByTheNextEndAndResumedElsewhere() throws Exception {
    Path folder = root.resolve("carrier");
    Files.createDirectories(folder);
    Path tokenFile = root.resolve("server/token");
    try (ServeProcess server =
            ServeProcess.start(
                root.resolve("server"), folder.toString(), "--listen", "127.0.0.1:0",
                "--token-file", tokenFile.toString());
        CuttingLink link = CuttingLink.to(server.uri())) {
      Map<String, String> token = Map.of(ClientToken.ENV, Files.readString(tokenFile).trim());
      TestCarrier carrier = new TestCarrier(link.through(server.uri()).toString(), folder);
      TestHost a = new TestHost(root.resolve("hostA"), "hostA", token);
      TestHost b = new TestHost(root.resolve("hostB"), "hostB", token);
      SessionKit.init(a, carrier, "--append", SessionKit.APPEND + " synctick=1");

      a.resume(carrier, root.resolve("A1.log"));
      ConsoleLog.Tick last = tickAbove(new ConsoleLog(root.resolve("A1.log")), 1);
      link.holdAt("PUT /" + Protocol.FILES + "/tmp/L", 1, 4096);
      last = killEndAndEndAgain(a, b, carrier, link, 2, Kill.BEFORE_COMMIT, null, last, "during the layer's upload");

      last = resumeOn(b, carrier, root.resolve("B1.log"), last);
      // The state's first piece is whole on the server: the next end does not send it again.
      link.holdAt("PUT /" + Protocol.FILES + "/tmp/S", 2, 4096);
      last = killEndAndEndAgain(
          b, a, carrier, link, 3, Kill.BEFORE_COMMIT, "tmp/S3.zst", last, "during the state's upload");

      last = resumeOn(a, carrier, root.resolve("A2.log"), last);
      link.holdAt("PUT /" + Protocol.MANIFEST, 1, -1);
      last = killEndAndEndAgain(a, b, carrier, link, 4, Kill.AFTER_COMMIT, null, last, "after the commit was sent");

      resumeOn(b, carrier, root.resolve("B2.log"), last);
      b.run("end", "--discard", carrier.toString()).expect(0);
    }
  }

  /** Where the link holds the end that is killed. */
  private enum Kill {
    /** Before its commit reached the server. */
    BEFORE_COMMIT,
    /** After its commit reached the server. */
    AFTER_COMMIT
  }

  /** Requests and checks a rerun sends beside the files it copies. */
  private static final long REQUEST_BYTES = 256 << 10;

  /**
   * Runs {@code end} on {@code host} until the link holds it, kills it, checks the carrier is at
   * generation {@code made - 1} (or {@code made} after the commit), whole; checks {@code other} is
   * refused the dead command's lock (before the commit), then ends again on {@code host}, which
   * must not send again the bytes the server holds of {@code keptFile} (what of it arrived before
   * the kill, at least a first piece; null for none). Returns the guest's last tick.
   */
  private static ConsoleLog.Tick killEndAndEndAgain(
      TestHost host, TestHost other, TestCarrier carrier, CuttingLink link, long made,
      Kill kill, String keptFile, ConsoleLog.Tick before, String when) throws Exception {
    boolean committed = kill == Kill.AFTER_COMMIT;
    Path out = root.resolve(host.name() + "-end-" + made + ".out");
    Process end = host.start(Map.of(), out, root.resolve(host.name() + "-end-" + made + ".err"),
        "end", carrier.toString());
    assertTrue(link.awaitHeld(REACH), when + ": the end never got there: " + Files.readString(out));
    if (committed) {
      awaitGeneration(carrier, made);
    } else {
      // The state goes up while QEMU saves it: the kill waits for the save to be recorded on the
      // host (QEMU quits only after that), so the next end goes on from the server's part of this
      // very state. Killed during the save, the next end saves anew and sends that state whole.
      awaitNoQemu(when);
    }
    end.destroyForcibly().waitFor();
    link.release();
    assertEquals(137, end.exitValue(), when);
    long kept = keptFile == null ? 0 : Files.size(carrier.resolve(keptFile));
    if (keptFile != null) {
      assertTrue(kept >= 256 << 10, when + ": the server holds only " + kept + " bytes of " + keptFile);
    }
    assertWhole(carrier, committed ? made : made - 1, when);

    if (!committed) {
      // The dead command's lock is not another host's to take before it runs out (breaking the
      // lease needs it; after the commit there is no lease to break)...
      SessionKit.Run refused = other.run("lease", "break", carrier.toString(), "--yes");
      assertEquals(4, refused.exit(), () -> when + ": " + refused);
      assertTrue(refused.errorLine().contains("in use by another carryon command"), refused::toString);
    }
    // ...but the same host's next end takes it over at once and finishes.
    long t = System.nanoTime();
    long sentBefore = link.sent();
    String again = host.run("end", carrier.toString()).expect(0).out();
    long sent = link.sent() - sentBefore;
    assertTrue(again.contains("generation " + made), when + ": " + again);
    assertWhole(carrier, made, when + ", then the next end");
    long files =
        committed
            ? 0
            : Files.size(carrier.resolve("layers/L" + made + ".qcow2"))
                + Files.size(carrier.resolve("states/S" + made + ".zst"));
    System.err.printf(
        "UrlEndKilledTest: %s: the next end took %.1f s and sent %,d bytes (layer and state: %,d,"
            + " %,d of them on the server)%n",
        when, (System.nanoTime() - t) / 1e9, sent, files, kept);
    assertTrue(sent <= files - kept + REQUEST_BYTES, when + ": the next end sent " + sent + " bytes");
    try (Carrier c = SessionKit.open(carrier)) {
      assertNull(c.manifest().lease(), when);
      assertNull(c.manifest().unfinishedWork(), when);
    }
    assertEquals(List.of(), SessionKit.qemusUnder(root), when + ": a QEMU was left running");
    return before;
  }

  /** Resumes on {@code host}: the guest continues from {@code last} without a reboot. */
  private static ConsoleLog.Tick resumeOn(
      TestHost host, TestCarrier carrier, Path log, ConsoleLog.Tick last) throws Exception {
    host.resume(carrier, log);
    ConsoleLog console = new ConsoleLog(log);
    ConsoleLog.Tick first = firstTick(console);
    assertEquals(last.bootId(), first.bootId(), "the guest rebooted on " + host.name());
    assertTrue(first.n() > last.n(), () -> first + " after " + last);
    return tickAbove(console, first.n() + 1);
  }

  private static void assertWhole(TestCarrier carrier, long generation, String when) throws Exception {
    try (Carrier c = SessionKit.open(carrier)) {
      Verification v = c.verify();
      assertTrue(v.passed(), () -> when + ": " + v.problems());
      assertEquals(generation, c.manifest().currentGeneration(), when);
    }
  }

  /** Waits until the ending host's QEMU has quit, its state saved and recorded. */
  private static void awaitNoQemu(String when) throws Exception {
    long deadline = System.nanoTime() + REACH.toNanos();
    while (!SessionKit.qemusUnder(root).isEmpty()) {
      assertTrue(System.nanoTime() < deadline, when + ": QEMU never quit");
      SessionKit.sleep(20);
    }
  }

  private static void awaitGeneration(TestCarrier carrier, long generation) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try (Carrier c = SessionKit.open(carrier)) {
        if (c.manifest().currentGeneration() == generation) {
          return;
        }
      }
      assertTrue(System.nanoTime() < deadline, "generation " + generation + " was not committed");
      Thread.sleep(20);
    }
  }
}
