package dev.carryon.launcher.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The real libusb path, as far as a machine goes: on this one (no USB bus in its kernel) libusb
 * initialises, offers hotplug and registers the callback, and no phone arrives.
 */
class UsbHotplugTest {
  @Test
  void libusbStartsAndRegistersTheHotplugCallback() throws Exception {
    List<PhoneEvent> heard = new CopyOnWriteArrayList<>();
    UsbHotplug usb = new UsbHotplug();
    try {
      String watching = usb.start(heard::add);
      assertTrue(watching.startsWith("USB phones (libusb 1."), watching);
      assertTrue(usb.registered());
      assertEquals(!Files.isDirectory(Path.of("/dev/bus/usb")), watching.contains("no USB bus"), watching);
      if (!Files.isDirectory(Path.of("/dev/bus/usb"))) {
        Thread.sleep(300); // the enumeration of present devices is done by now
        assertEquals(List.of(), heard, "a phone on a host without USB");
      }
    } finally {
      usb.close();
    }
    assertFalse(usb.registered());
    usb.close(); // twice is harmless
  }

  @Test
  void adbInterfaceIsVendorClass42Protocol1() {
    assertTrue(AdbInterface.matches(0xff, 0x42, 0x01));
    assertFalse(AdbInterface.matches(0xff, 0x42, 0x03)); // fastboot
    assertFalse(AdbInterface.matches(0x08, 0x06, 0x50)); // a USB drive
  }
}
