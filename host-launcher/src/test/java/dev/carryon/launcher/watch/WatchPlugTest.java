package dev.carryon.launcher.watch;

import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.FileTrees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plug-in story on a drive: {@code carryon watch --json --auto-resume} sees a drive holding
 * carriers mounted, resumes the free one (the guest ticks) and leaves the one leased by another
 * host alone; the drive pulled out during the session is reported at once while the guest runs
 * on, {@code end} refuses clearly, {@code end --wait} finishes once the drive is back; unmounting
 * reports the carriers detached. Needs root: the drive is an ext4 image on a loop device.
 */
class WatchPlugTest {
  /** The promise: a plugged-in carrier is reported within this long of the mount. */
  private static final Duration REPORTED = Duration.ofSeconds(2);

  @TempDir static Path root;

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  @Test
  void plugResumeUnplugAndEndWhenBack() throws Exception {
    TestHost a = host(root, "hostA");
    Path stage = Files.createDirectories(root.resolve("stage"));
    SessionKit.initCarrier(a, stage.resolve("carrier"));
    SmallCarriers.leasedBy(stage.resolve("leased"), "hostB");
    Path mnt = root.resolve("mnt");
    Path carrier = mnt.resolve("carrier");
    Path out = root.resolve("watch.out");
    try (LoopDrive drive = LoopDrive.of(stage, root.resolve("drive.img"), mnt)) {
      Process watch =
          a.start(
              Map.of(), out, root.resolve("watch.err"),
              "watch", "--json", "--auto-resume", "--no-notify", "--under", root.toString());
      try {
        WatchLines events = new WatchLines(out, watch);
        events.next("watching", SessionKit.BOOT);
        // It rehearsed a session before it watched, and keeps a keeper started ahead for the
        // carrier to come.
        String said = read(root.resolve("watch.err"));
        assertTrue(said.contains("carryon watch: rehearsed a session in "), said);
        Path ahead = SessionKit.awaitKeeperAhead(a);

        drive.plug();
        long mounted = System.nanoTime();
        JsonNode attached = events.next("attached", SessionKit.BOOT);
        Duration took = Duration.ofNanos(System.nanoTime() - mounted);
        assertTrue(took.compareTo(REPORTED) < 0, "attached reported " + took + " after the mount");
        assertEquals(carrier.toString(), attached.get("carrier").asText());
        assertEquals(1, attached.get("generation").asLong());
        assertTrue(attached.get("lease").isNull(), attached::toString);

        JsonNode resumed = events.next("resumed", SessionKit.BOOT);
        assertEquals(carrier.toString(), resumed.get("carrier").asText());
        String session = resumed.get("session").asText();
        assertEquals(ahead.getFileName().toString(), session, "the resume did not take the keeper ahead");
        JsonNode leased = events.next("attached", SessionKit.BOOT);
        assertEquals(mnt.resolve("leased").toString(), leased.get("carrier").asText());
        assertEquals("hostB", leased.get("lease").asText());
        ConsoleLog console = new ConsoleLog(Path.of(resumed.get("console").asText()));
        ConsoleLog.Tick before = tickAbove(console, 1);

        // Not safe while the guest's disk is read from the carrier; safe once the session
        // keeper has hoarded every chunk of it onto this host.
        JsonNode unplug = a.status(SessionKit.carrierAt(carrier)).get("unplug");
        long hoarded = System.nanoTime() + SessionKit.BOOT.toNanos();
        while (!unplug.get("safe").asBoolean() && System.nanoTime() < hoarded) {
          assertTrue(unplug.get("why").asText().contains("reads its disk from it"), unplug::toString);
          Thread.sleep(200);
          unplug = a.status(SessionKit.carrierAt(carrier)).get("unplug");
        }
        assertTrue(unplug.get("safe").asBoolean(), unplug::toString);
        assertTrue(
            unplug.get("why").asText().contains("every chunk of the guest's disk is on this host"),
            unplug::toString);

        drive.pull();
        long pulled = System.nanoTime();
        JsonNode detached = events.next("detached", SessionKit.BOOT);
        assertTrue(Duration.ofNanos(System.nanoTime() - pulled).compareTo(REPORTED) < 0);
        assertEquals(session, detached.get("session_here").asText(), detached::toString);
        ConsoleLog.Tick after = tickAbove(console, before.n() + 2);
        assertEquals(before.bootId(), after.bootId());

        String refused = a.run("end", carrier.toString()).expect(ExitCodes.BAD_INPUT).errorLine();
        assertTrue(refused.contains("is not there (unplugged?)") && refused.contains(session), refused);
        assertEquals(1, SessionKit.qemusUnder(root).size(), "the guest must run on");

        Path endErr = root.resolve("end-wait.err");
        Process end =
            a.start(Map.of(), root.resolve("end-wait.out"), endErr, "end", "--wait", carrier.toString());
        try {
          awaitText(endErr, "waiting for " + carrier);
          drive.plug();
          JsonNode back = events.next("attached", SessionKit.BOOT);
          assertEquals(session, back.get("session_here").asText(), back::toString);
          assertEquals("hostA", back.get("lease").asText());
          assertTrue(end.waitFor(3, TimeUnit.MINUTES), "end --wait did not finish");
          assertEquals(0, end.exitValue(), () -> read(endErr));
        } finally {
          end.destroyForcibly();
        }
        assertEquals(List.of(), SessionKit.qemusUnder(root));
        JsonNode status = a.status(SessionKit.carrierAt(carrier));
        assertEquals(2, status.get("generation").asLong());
        assertTrue(status.get("unplug").get("safe").asBoolean(), status::toString);
        assertTrue(events.lines().stream().noneMatch(l -> l.contains("not_resumed")), "the leased carrier was tried");

        drive.unplug();
        assertEquals(carrier.toString(), events.next("detached", SessionKit.BOOT).get("carrier").asText());
        assertTrue(events.next("detached", SessionKit.BOOT).get("session_here").isNull());

        watch.destroy(); // SIGTERM: the watch ends cleanly
        assertTrue(watch.waitFor(30, TimeUnit.SECONDS), "watch did not stop on SIGTERM");
        assertEquals(0, watch.exitValue(), () -> read(root.resolve("watch.err")));
        // The keeper it started ahead after the resume stopped with it and took its folder along.
        assertEquals(List.of(), SessionKit.keepersUnder(a.home()));
        assertEquals(List.of(), FileTrees.list(a.home().resolve("sessions")));
      } finally {
        watch.destroyForcibly();
        SessionKit.assertNoQemuLeft(root);
      }
    }
  }

  private static void awaitText(Path file, String text) throws Exception {
    long deadline = System.nanoTime() + SessionKit.BOOT.toNanos();
    while (!read(file).contains(text)) {
      assertTrue(System.nanoTime() < deadline, () -> file + " never said: " + text);
      Thread.sleep(20);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
