package dev.carryon.companion;

import static dev.carryon.launcher.session.SessionKit.bootMarkers;
import static dev.carryon.launcher.session.SessionKit.firstTick;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.AsRoot;
import dev.carryon.testdata.ConsoleLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The phone carries a session between two PCs: the carryon CLI on each, the stand-in adb and phone
 * (the companion's real core over a folder standing for the phone's storage), real QEMU and the
 * test guest. Then the phone's storage fills up during an end.
 */
class PhoneStoryTest {
  @TempDir Path dir;

  @Test
  void aSessionMovesBetweenTwoHostsThroughThePhone() throws Exception {
    try (StandInPhone phone =
        StandInPhone.start("STANDIN01", dir.resolve("phone"), dir.resolve("phone/storage"))) {
      TestHost a = new TestHost(dir.resolve("hostA"), "hostA", phone.env());
      TestHost b = new TestHost(dir.resolve("hostB"), "hostB", phone.env());
      a.run("phone", "pair").expect(0);
      b.run("phone", "pair").expect(0);
      TestCarrier carrier = new TestCarrier("adb:work", phone.root().resolve("work"));
      SessionKit.init(a, carrier);

      assertTrue(a.resume(carrier, dir.resolve("A.log")).out().contains("cold-booted generation 1"));
      assertEquals(List.of(), phone.forwards(), "a detached session holds no forward");
      ConsoleLog onA = new ConsoleLog(dir.resolve("A.log"));
      onA.waitFor(ConsoleLog.BOOT, SessionKit.BOOT);
      ConsoleLog.BootMarker boot = onA.bootMarker().orElseThrow();
      tickAbove(onA, 2);
      assertTrue(a.end(carrier).out().contains("generation 2 committed"));
      ConsoleLog.Tick lastOnA = onA.lastTick().orElseThrow();

      String onB = b.resume(carrier, dir.resolve("B.log")).out();
      assertTrue(onB.contains("resumed generation 2 of adb:work"), onB);
      ConsoleLog logB = new ConsoleLog(dir.resolve("B.log"));
      ConsoleLog.Tick firstOnB = firstTick(logB);
      assertTrue(firstOnB.n() > lastOnA.n(), () -> "B's first " + firstOnB + " after A's last " + lastOnA);
      assertEquals(boot.bootId(), firstOnB.bootId());
      tickAbove(logB, firstOnB.n() + 1);
      b.end(carrier);
      assertEquals(List.of(), bootMarkers(logB), "the guest rebooted on host B");

      JsonNode status = a.status(carrier);
      assertEquals("adb://STANDIN01/work", status.get("carrier").asText());
      assertEquals(3, status.get("generation").asLong());
      assertTrue(status.get("session").isNull());
      a.run("verify", "adb:work").expect(0);
      assertEquals(List.of(), phone.forwards());
    }
    SessionKit.assertNoQemuLeft(dir);
  }

  @Test
  void aFullPhoneDuringEndLosesNothingAndTheRerunFinishes() throws Exception {
    Path storage = Files.createDirectories(dir.resolve("phone/storage"));
    // The phone's storage: a small tmpfs, filled up by the test once the session runs.
    SessionKit.tool(AsRoot.command("mount", "-t", "tmpfs", "-o", "size=96m", "phone", storage.toString()), 0);
    try (StandInPhone phone = StandInPhone.start("STANDIN01", dir.resolve("phone"), storage)) {
      TestHost a = new TestHost(dir.resolve("hostA"), "hostA", phone.env());
      a.run("phone", "pair").expect(0);
      TestCarrier carrier = new TestCarrier("adb:work", storage.resolve("work"));
      SessionKit.init(a, carrier);
      a.resume(carrier, dir.resolve("A.log"));
      ConsoleLog onA = new ConsoleLog(dir.resolve("A.log"));
      onA.waitFor(ConsoleLog.BOOT, SessionKit.BOOT);
      tickAbove(onA, 2);
      // Fill what is left, as the phone's other apps would.
      SessionKit.tool(List.of("sh", "-c", "cat /dev/zero > " + storage.resolve("photos") + "; true"), 0);

      Run full = a.run("end", "adb:work");
      assertEquals(1, full.exit(), full.toString());
      String error = full.errorLine();
      assertTrue(error.contains("adb://STANDIN01/work"), error);
      assertTrue(error.contains("storage is full"), error);
      assertTrue(error.matches(".*(layers|states|tmp)/[A-Za-z0-9._-]+.*"), error);
      assertEquals(1, a.status(carrier).get("generation").asLong(), "the generation is unchanged");
      assertEquals(List.of(), phone.forwards());

      Files.delete(storage.resolve("photos"));
      assertTrue(a.end(carrier).out().contains("generation 2 committed"));
      JsonNode status = a.status(carrier);
      assertEquals(2, status.get("generation").asLong());
      assertTrue(status.get("session").isNull());
      a.run("verify", "adb:work").expect(0);
    } finally {
      SessionKit.tool(AsRoot.command("umount", "-l", storage.toString()), 0);
    }
    SessionKit.assertNoQemuLeft(dir);
  }
}
