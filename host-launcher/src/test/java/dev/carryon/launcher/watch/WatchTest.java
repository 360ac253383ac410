package dev.carryon.launcher.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.testdata.FileTrees;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watch in this JVM, with phone events from a stand-in (this machine has no USB) and a real
 * mount (a bind mount: needs root): what it reports for an unusable carrier, for carriers leased by
 * another host (never resumed, even with auto-resume), and for phones with and without carriers.
 */
class WatchTest {
  @TempDir Path root;

  @Test
  void reportsWithoutTouchingLeasedOrUnusableCarriers() throws Exception {
    Path usb = Files.createDirectories(root.resolve("usb"));
    Files.createDirectories(usb.resolve("broken"));
    Files.writeString(usb.resolve("broken").resolve(CarrierLook.MANIFEST), "{\"format\": 7");
    Path leased = SmallCarriers.leasedBy(usb.resolve("leased"), "hostB");
    Path phoneCarrier = SmallCarriers.leasedBy(root.resolve("on-phone"), "hostC");
    Map<String, String> before = SessionKit.fingerprint(SessionKit.carrierAt(root));
    Path mnt = Files.createDirectories(root.resolve("mnt"));

    BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    StandInPhoneEvents phones = new StandInPhoneEvents();
    PhoneCarriers phoneList = // stands in for `carryon phone list` naming the phone's carriers
        phone -> {
          if (phone.usb().equals("1-5")) {
            throw new IOException("adb: device unauthorized");
          }
          return List.of(CarrierLook.at(phoneCarrier));
        };
    StringWriter log = new StringWriter();
    // Not under @TempDir: opening a host points this JVM's JNI loading (zstd, SQLite) into its
    // folder (NativeLibraries), and later tests in this JVM load zstd from there.
    Path home = Path.of("target", "watch-test-home").toAbsolutePath();
    try (Host host = Host.open(HostHome.at(home));
        Watch watch =
            new Watch(
                host, new Watch.Settings(List.of(root), true), events::add, new PrintWriter(log),
                phones, phoneList)) {
      try (RunningWatch running = RunningWatch.start(watch)) {
        WatchEvent.Watching watching = next(events, WatchEvent.Watching.class);
        assertEquals("USB phones (a test's stand-in for libusb hotplug)", watching.phones());

        SessionKit.tool(List.of("mount", "--bind", usb.toString(), mnt.toString()), 0);
        try {
          WatchEvent.Unreadable broken = next(events, WatchEvent.Unreadable.class);
          assertEquals(mnt.resolve("broken").toString(), broken.carrier());
          assertTrue(
              broken.problem().contains(mnt.resolve("broken").resolve(CarrierLook.MANIFEST).toString()),
              broken.problem());
          WatchEvent.Attached onDrive = next(events, WatchEvent.Attached.class);
          assertEquals(mnt.resolve("leased").toString(), onDrive.carrier().location());
          assertEquals("hostB", onDrive.carrier().lease().hostName());
          assertFalse(onDrive.resumeNext(), "auto-resume must leave another host's carrier alone");
          assertTrue(onDrive.text().contains("in use by host hostB"), onDrive.text());

          phones.deliver(new PhoneEvent(true, "1-4", 0x18d1, 0x4ee7));
          WatchEvent.Phone came = next(events, WatchEvent.Phone.class);
          assertEquals("phone attached on USB 1-4 (18d1:4ee7, ADB interface)", came.text());
          WatchEvent.Attached onPhone = next(events, WatchEvent.Attached.class);
          assertEquals(phoneCarrier.toString(), onPhone.carrier().location());
          assertEquals("hostC", onPhone.carrier().lease().hostName());
          assertFalse(onPhone.resumeNext());

          phones.deliver(new PhoneEvent(true, "1-5", 0x18d1, 0x4ee7));
          next(events, WatchEvent.Phone.class);
          WatchEvent.Unreadable unauthorized = next(events, WatchEvent.Unreadable.class);
          assertEquals("the phone on USB 1-5", unauthorized.carrier());
          assertEquals("adb: device unauthorized", unauthorized.problem());

          phones.deliver(new PhoneEvent(false, "1-4", 0x18d1, 0x4ee7));
          assertFalse(next(events, WatchEvent.Phone.class).phone().attached());
          WatchEvent.Detached phoneGone = next(events, WatchEvent.Detached.class);
          assertEquals(phoneCarrier.toString(), phoneGone.carrier());
        } finally {
          SessionKit.tool(List.of("umount", mnt.toString()), 0);
        }
        WatchEvent.Detached gone1 = next(events, WatchEvent.Detached.class);
        WatchEvent.Detached gone2 = next(events, WatchEvent.Detached.class);
        assertEquals(
            List.of(mnt.resolve("broken").toString(), mnt.resolve("leased").toString()),
            List.of(gone1.carrier(), gone2.carrier()));
        assertNull(gone1.carrierId(), "an unreadable carrier has no id");
      }
    }
    assertEquals(List.of(), List.copyOf(events), "events after the last expected one");
    assertEquals("", log.toString(), "no resume was tried");
    // Auto-resume kept a session keeper started ahead; closed, the watch stopped it and removed
    // its folder.
    assertEquals(List.of(), SessionKit.keepersUnder(home));
    assertEquals(List.of(), FileTrees.list(home.resolve("sessions")));
    Map<String, String> after = SessionKit.fingerprint(SessionKit.carrierAt(root));
    after.keySet().retainAll(before.keySet());
    assertEquals(before, after, "a carrier was written");
  }

  private static <T extends WatchEvent> T next(BlockingQueue<WatchEvent> events, Class<T> kind)
      throws InterruptedException {
    WatchEvent e = events.poll(SessionKit.BOOT.toSeconds(), TimeUnit.SECONDS);
    assertInstanceOf(kind, e, () -> "expected " + kind.getSimpleName() + ", got " + e);
    return kind.cast(e);
  }
}
