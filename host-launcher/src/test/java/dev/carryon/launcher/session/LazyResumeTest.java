package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resume without reading the chain up front (issue 13), with the real test guest: the chain's bytes
 * reach QEMU only through the session keeper, chunk by chunk, each checked against its list.
 */
class LazyResumeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The kernel's words for a failed read of the guest's disk. */
  private static final Pattern IO_ERROR = Pattern.compile("I/O error, dev vda");

  @TempDir static Path root;

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  /**
   * A chunk of the base altered on the carrier (the up-front check reads no image, so it is as if
   * it changed after resume started): the guest's read of it fails with an I/O error (the kernel
   * says so on the console, the disk does not mount) and the guest runs on; the user is told the
   * carrier file and the chunk's offset, by {@code status} and by {@code end}; the carrier is not
   * written.
   */
  @Test
  void aCorruptedChunkIsAnIoErrorToTheGuestAndAMessageToTheUser() throws Exception {
    TestHost a = host(root, "corruptA");
    TestCarrier carrier = SessionKit.carrierAt(root.resolve("corrupt"));
    SessionKit.init(a, carrier);
    Path base = carrier.resolve("base.qcow2");
    // Where the guest's first cluster (its partition table and ext4 superblock) lies in the base.
    JsonNode map = JSON.readTree(SessionKit.qemuImg(0, "map", "--output=json", base.toString()));
    JsonNode first = map.get(0);
    assertTrue(first.get("data").asBoolean() && first.get("start").asLong() == 0, map::toString);
    long host = first.get("offset").asLong();
    SessionKit.flipByte(base, host + 1024);
    Map<String, String> before = SessionKit.fingerprint(carrier);

    Path console = root.resolve("corrupt.log");
    Run resumed = a.resume(carrier, console);
    assertTrue(resumed.out().contains("cold-booted generation 1"), resumed.toString());
    ConsoleLog log = new ConsoleLog(console);
    log.waitFor(IO_ERROR, SessionKit.BOOT);
    log.waitFor(Pattern.compile("CARRYON-ERROR cannot mount /dev/vda"), SessionKit.BOOT);
    // The guest runs on (waitFor would stop at the error line the guest printed).
    long deadline = System.nanoTime() + SessionKit.BOOT.toNanos();
    while (log.lastTick().map(t -> t.n() < 3).orElse(true)) {
      assertTrue(System.nanoTime() < deadline, "no third tick after the I/O error");
      Thread.sleep(100);
    }

    long chunk = host / (64 << 10) * (64 << 10);
    String expected = base + ": the chunk at offset " + chunk + " (65536 bytes) does not match";
    JsonNode keeper = a.status(carrier).get("keeper");
    assertTrue(keeper.get("alive").asBoolean(), keeper::toString);
    String problem = keeper.get("problems").get(0).asText();
    assertTrue(problem.startsWith(expected), problem);
    assertTrue(problem.contains("the guest got an I/O error for this read, not these bytes"), problem);
    assertFalse(keeper.get("unpluggable").asBoolean(), "a chunk the carrier cannot give is missing");

    Run ended = a.run("end", carrier.toString(), "--discard").expect(0);
    assertTrue(ended.err().contains("warning: during the session: " + expected), ended.toString());
    assertEquals(before, SessionKit.fingerprint(carrier), "the carrier was written");
    assertEquals(java.util.List.of(), SessionKit.keepersUnder(root.resolve("corruptA")));
  }

  /**
   * The carrier made unreadable (a folder carrier moved away, as a pulled drive) while the keeper
   * may still hoard: the guest keeps ticking on what the host holds; {@code end} fails
   * while the carrier is away, keeping the session, and commits once it is back; another host
   * resumes that generation and the guest continues.
   */
  @Test
  void theGuestRunsOnWhileTheCarrierIsAwayAndEndCommitsOnceItIsBack() throws Exception {
    TestHost a = host(root, "awayA");
    TestHost b = host(root, "awayB");
    TestCarrier carrier = SessionKit.carrierAt(root.resolve("away"));
    SessionKit.init(a, carrier);
    Path console = root.resolve("away.log");
    a.resume(carrier, console);
    ConsoleLog log = new ConsoleLog(console);
    log.waitFor(ConsoleLog.BOOT, SessionKit.BOOT);
    ConsoleLog.Tick last = tickAbove(log, 1);

    JsonNode keeper = a.status(carrier).get("keeper");
    System.err.println("LazyResumeTest: the keeper as the carrier goes away: " + keeper);
    assertTrue(keeper.get("alive").asBoolean(), keeper::toString);
    // Moved away, not chmod-ed: these tests may run as root, whom permissions do not stop.
    Path folder = carrier.folder();
    Path unplugged = folder.resolveSibling("away-unplugged");
    Files.move(folder, unplugged);
    try {
      ConsoleLog.Tick later = tickAbove(log, last.n() + 4);
      assertEquals(last.bootId(), later.bootId());
      Run away = a.run("end", carrier.toString());
      assertTrue(away.exit() != 0, away.toString());
    } finally {
      Files.move(unplugged, folder);
    }
    a.end(carrier);
    assertEquals(2, a.status(carrier).get("generation").asLong());

    Path onB = root.resolve("awayB.log");
    assertTrue(b.resume(carrier, onB).out().contains("resumed generation 2"));
    ConsoleLog logB = new ConsoleLog(onB);
    ConsoleLog.Tick firstOnB = SessionKit.firstTick(logB);
    assertEquals(last.bootId(), firstOnB.bootId());
    tickAbove(logB, firstOnB.n() + 1);
    b.end(carrier);
    assertEquals(3, b.status(carrier).get("generation").asLong());
    assertEquals(ExitCodes.OK, b.run("verify", carrier.toString()).exit());
  }
}
