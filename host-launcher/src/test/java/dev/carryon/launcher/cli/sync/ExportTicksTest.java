package dev.carryon.launcher.cli.sync;

import static dev.carryon.launcher.session.SessionKit.qemuImg;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.qemu.QemuTool;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.TestGuest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export brings out the ticks file the guest wrote in a real session, byte for byte as debugfs
 * reads it from a raw conversion of the carrier's disk. The guest runs with {@code synctick=1} so
 * that its ticks reach the disk before the session hibernates.
 */
class ExportTicksTest {
  @TempDir static Path dir;

  private static TestHost host;
  private static TestCarrier carrier;
  private static String bootId;
  private static long lastTick;
  /**
   * What debugfs prints for /ticks.log on a raw copy of the carrier's current top, after e2fsck
   * replayed its journal as a mount would (export reads through the journal too; a session that
   * hibernates during a sync may leave the last tick's metadata only there).
   */
  private static byte[] oracle;

  @BeforeAll
  static void runASessionThatSyncsItsTicks() throws IOException, InterruptedException {
    QemuTool.SYSTEM.locate(); // fail, not skip, without QEMU
    TestGuest guest = TestGuest.get();
    host = SessionKit.host(dir, "pc");
    carrier = SessionKit.carrierAt(dir.resolve("carrier"));
    host.run("init", carrier.toString(),
            "--image", guest.disk().toString(),
            "--kernel", guest.kernel().toString(),
            "--initrd", guest.initrd().toString(),
            "--append", guest.append("synctick=1"),
            "--memory", TestGuest.MEMORY_MIB + "M")
        .expect(0);
    Path console = dir.resolve("console.log");
    host.resume(carrier, console);
    try {
      ConsoleLog log = new ConsoleLog(console);
      SessionKit.tickAbove(log, 5);
      host.end(carrier);
      bootId = log.bootMarker().orElseThrow().bootId();
      lastTick = log.lastTick().orElseThrow().n();
    } finally {
      if (!SessionKit.qemusUnder(dir).isEmpty()) {
        host.run("end", carrier.toString(), "--discard");
      }
    }

    Path top = Path.of(host.status(carrier).get("disk").asText());
    Path raw = dir.resolve("raw.img");
    qemuImg(0, "convert", "-O", "raw", top.toString(), raw.toString());
    replayJournal(raw);
    oracle = debugfsCat(raw, "/ticks.log");
  }

  @AfterAll
  static void noQemuLeft() throws IOException, InterruptedException {
    SessionKit.assertNoQemuLeft(dir);
  }

  @Test
  void exportToAFolderGivesTheTicksTheGuestWrote() throws IOException, InterruptedException {
    Path out = dir.resolve("out");
    Run r = host.run("export", carrier.toString(), "--guest-path", "/ticks.log", "--to",
        out.toString()).expect(ExitCodes.OK);
    assertTrue(r.out().startsWith("exported /ticks.log from generation "), r.toString());
    byte[] exported = Files.readAllBytes(out.resolve("ticks.log"));

    List<String> lines = new String(exported, StandardCharsets.US_ASCII).lines().toList();
    // The guest synced tick 5 before it printed tick 6; the last tick may not have been synced.
    assertTrue(lines.size() >= 5 && lines.size() <= lastTick,
        lines.size() + " lines with " + lastTick + " ticks on the console: " + lines);
    for (int i = 0; i < lines.size(); i++) {
      assertEquals("TICK " + (i + 1) + " bootid=" + bootId, lines.get(i));
    }
    assertArrayEquals(oracle, exported, "debugfs:\n" + new String(oracle, StandardCharsets.US_ASCII));
  }

  @Test
  void exportToATarHoldsTheSameBytes() throws IOException, InterruptedException {
    Path tar = dir.resolve("ticks.tar");
    host.run("export", carrier.toString(), "--guest-path", "/ticks.log", "--tar", tar.toString())
        .expect(ExitCodes.OK);
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        names.add(e.getName());
        assertArrayEquals(oracle, in.readAllBytes(), e.getName());
      }
    }
    assertEquals(List.of("ticks.log"), names);
  }

  @Test
  void aMissingGuestPathIsNamed() throws IOException, InterruptedException {
    Path out = dir.resolve("nope-out");
    Run r = host.run("export", carrier.toString(), "--guest-path", "/nope", "--to",
        out.toString()).expect(ExitCodes.BAD_INPUT);
    assertTrue(r.errorLine().contains("/nope"), r.toString());
    assertEquals(1, r.err().strip().lines().count(), r.toString());
    assertTrue(!Files.exists(out.resolve("nope")), "nothing exported");
  }

  /** Runs e2fsck on {@code image} for the journal replay alone. */
  private static void replayJournal(Path image) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("e2fsck", "-E", "journal_only", "-y", image.toString())
        .redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    assertTrue(exit == 0 || exit == 1, "e2fsck -E journal_only (exit " + exit + "):\n" + out);
  }

  private static byte[] debugfsCat(Path image, String guestPath)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder("debugfs", "-R", "cat " + guestPath, image.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), "debugfs -R 'cat " + guestPath + "' " + image);
    return out;
  }
}
