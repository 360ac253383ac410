package dev.carryon.companion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.phone.Adb;
import dev.carryon.launcher.phone.Pairings;
import dev.carryon.launcher.phone.PhoneWatch;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.launcher.watch.PhoneEvent;
import dev.carryon.launcher.watch.RunningWatch;
import dev.carryon.launcher.watch.StandInPhoneEvents;
import dev.carryon.launcher.watch.Watch;
import dev.carryon.launcher.watch.WatchEvent;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.FileTrees;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watch's phone path: a phone with the companion comes on USB (the stand-in hotplug event, as
 * libusb would deliver it; this machine has no USB), the watch finds it in {@code adb devices -l},
 * asks its companion over adb for its carriers and reads each through an adb forward (the stand-in
 * adb and phone, the companion's real core), names them {@code adb://SERIAL/NAME}, and with
 * auto-resume resumes the free one (real QEMU, the test guest).
 */
class PhoneWatchTest {
  @TempDir Path dir;

  @Test
  void namesTheCarriersOnAPhonePluggedIn() throws Exception {
    // Not under @TempDir: a host opened in this JVM points its JNI loading into its folder.
    Path home = Path.of("target", "phone-watch-home").toAbsolutePath();
    FileTrees.deleteTree(home);
    try (StandInPhone phone =
        StandInPhone.start("STANDIN01", dir.resolve("phone"), dir.resolve("phone/storage"))) {
      TestHost cli = new TestHost(home, "hostA", phone.env());
      cli.run("phone", "pair").expect(0);
      SessionKit.init(cli, new TestCarrier("adb:work", phone.root().resolve("work")));
      phone.alsoListed("STANDIN02", "unauthorized");

      BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
      StandInPhoneEvents usb = new StandInPhoneEvents();
      try (Host host = Host.open(HostHome.at(home));
          Watch watch =
              new Watch(
                  host, new Watch.Settings(List.of(Files.createDirectories(dir.resolve("none"))), true),
                  events::add, new PrintWriter(new StringWriter()), usb,
                  new PhoneWatch(
                      Adb.at(phone.bin().resolve("adb")), new Pairings(home.resolve("phones"))))) {
        try (RunningWatch running = RunningWatch.start(watch)) {
          next(events, WatchEvent.Watching.class);
          usb.deliver(new PhoneEvent(true, StandInPhone.USB, 0x18d1, 0x4ee7));
          next(events, WatchEvent.Phone.class);
          WatchEvent.Attached work = next(events, WatchEvent.Attached.class);
          assertEquals("adb://STANDIN01/work", work.carrier().location());
          assertEquals(1, work.carrier().generation());
          assertNull(work.carrier().lease());
          assertTrue(work.resumeNext(), "--auto-resume and the carrier is free");
          JsonNode line = json(work);
          assertEquals("attached", line.get("event").asText());
          assertEquals("adb://STANDIN01/work", line.get("carrier").asText());
          assertEquals(1, line.get("generation").asInt());
          assertTrue(line.get("lease").isNull(), line.toString());
          WatchEvent.Resumed resumed = next(events, WatchEvent.Resumed.class);
          assertEquals("adb://STANDIN01/work", resumed.carrier());
          ConsoleLog console = new ConsoleLog(resumed.console());
          console.waitFor(ConsoleLog.BOOT, SessionKit.BOOT);
          SessionKit.tickAbove(console, 1);
          assertEquals(List.of(), phone.forwards(), "the running session holds no forward");

          usb.deliver(new PhoneEvent(true, "9-9", 0x18d1, 0x4ee7));
          next(events, WatchEvent.Phone.class);
          WatchEvent.Unreadable other = next(events, WatchEvent.Unreadable.class);
          assertEquals(
              "phone STANDIN02 (unauthorized): allow USB debugging for this PC on the phone",
              other.problem());

          usb.deliver(new PhoneEvent(false, StandInPhone.USB, 0x18d1, 0x4ee7));
          next(events, WatchEvent.Phone.class);
          WatchEvent.Detached gone = next(events, WatchEvent.Detached.class);
          assertEquals("adb://STANDIN01/work", gone.carrier());
          assertEquals(resumed.sessionId(), gone.sessionHere());
        }
      }
      assertTrue(cli.run("end", "adb:work").expect(0).out().contains("generation 2 committed"));
    }
    SessionKit.assertNoQemuLeft(home);
  }

  /** The line {@code carryon watch --json} prints for {@code e}. */
  private static JsonNode json(WatchEvent e) throws Exception {
    StringWriter text = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(text)) {
      g.writeStartObject();
      e.writeJson(g);
      g.writeEndObject();
    }
    return new ObjectMapper().readTree(text.toString());
  }

  private static <T extends WatchEvent> T next(BlockingQueue<WatchEvent> events, Class<T> kind)
      throws InterruptedException {
    WatchEvent e = events.poll(SessionKit.BOOT.toSeconds(), TimeUnit.SECONDS);
    assertInstanceOf(kind, e, () -> "expected " + kind.getSimpleName() + ", got " + e);
    return kind.cast(e);
  }
}
