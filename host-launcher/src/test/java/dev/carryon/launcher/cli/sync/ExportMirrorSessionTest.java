package dev.carryon.launcher.cli.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.qemu.QemuTool;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carryon export --mirror} around real guest sessions: the test guest, cold-booted,
 * rewrites bootcount and payload.bin and appends to ticks.log. After each session the mirror
 * must equal a fresh export, and the second run must write exactly the files the session
 * changed, leaving the others untouched. (Deletes and renames, which this guest does not do, are
 * made by the kernel on a loop-mounted image in the sync module's MirrorTest.)
 */
class ExportMirrorSessionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;

  @AfterAll
  static void noQemuLeft() throws IOException, InterruptedException {
    SessionKit.assertNoQemuLeft(dir);
  }

  @Test
  void aSecondMirrorWritesOnlyWhatTheSessionChanged() throws Exception {
    QemuTool.SYSTEM.locate(); // fail, not skip, without QEMU
    TestHost host = SessionKit.host(dir, "pc");
    Path carrier = dir.resolve("carrier");
    host.initTestGuest(carrier, "synctick=1");
    session(host, carrier, false);
    Path mirror = dir.resolve("mirror");
    JsonNode first = mirror(host, carrier, mirror);
    assertEquals(first.get("files").asLong(), first.get("written").asLong(), first.toString());
    assertSameAsExport(host, carrier, mirror, "fresh-1");
    long ino = (long) Files.getAttribute(mirror.resolve("README"), "unix:ino");

    JsonNode again = mirror(host, carrier, mirror);
    assertEquals(0, again.get("written").asLong(), again.toString());

    session(host, carrier, true); // a cold boot: new bootcount and payload, more ticks
    JsonNode second = mirror(host, carrier, mirror);
    assertEquals(3, second.get("written").asLong(), second.toString());
    assertEquals(second.get("files").asLong() - 3, second.get("unchanged").asLong());
    assertEquals(0, second.get("deleted").asLong());
    assertSameAsExport(host, carrier, mirror, "fresh-2");
    assertEquals(ino, (long) Files.getAttribute(mirror.resolve("README"), "unix:ino"),
        "README was not written again");

    Run list = host.run("export", carrier.toString(), "--list").expect(ExitCodes.OK);
    assertEquals("no partition table", list.out().lines().findFirst().orElseThrow()
        .replaceFirst("^.*: ", ""), list.toString());
    assertTrue(list.out().contains("the whole disk: ext2/3/4 'carryon'"), list.toString());

    // A reader that is not there: libguestfs asked for, with no guestfish on the PATH.
    Run missing = host.run(Map.of("PATH", dir.resolve("empty-path").toString()), "export",
        carrier.toString(), "--guest-path", "/README", "--to", dir.resolve("x").toString(),
        "--reader", "libguestfs");
    assertEquals(ExitCodes.ENVIRONMENT, missing.exit(), missing.toString());
    assertTrue(missing.errorLine().contains("guestfish is not installed on this host: install"
        + " libguestfs-tools"), missing.toString());
  }

  private static void session(TestHost host, Path carrier, boolean coldBoot) throws Exception {
    Path console = dir.resolve("console-" + System.nanoTime() + ".log");
    if (coldBoot) {
      host.resume(carrier, console, "--cold-boot");
    } else {
      host.resume(carrier, console);
    }
    try {
      SessionKit.tickAbove(new ConsoleLog(console), 4);
      host.end(carrier);
    } finally {
      if (!SessionKit.qemusUnder(dir).isEmpty()) {
        host.run("end", carrier.toString(), "--discard");
      }
    }
  }

  private static JsonNode mirror(TestHost host, Path carrier, Path mirror) throws Exception {
    Run r = host.run("export", carrier.toString(), "--guest-path", "/", "--mirror",
        mirror.toString(), "--json").expect(ExitCodes.OK);
    return JSON.readTree(r.out());
  }

  private static void assertSameAsExport(TestHost host, Path carrier, Path mirror, String name)
      throws Exception {
    Path fresh = dir.resolve(name);
    host.run("export", carrier.toString(), "--guest-path", "/", "--to", fresh.toString())
        .expect(ExitCodes.OK);
    assertEquals(List.of(), FileTrees.differences(fresh, mirror));
  }
}
