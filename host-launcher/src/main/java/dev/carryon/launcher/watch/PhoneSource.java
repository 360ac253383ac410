package dev.carryon.launcher.watch;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * Where the watch hears of phones: libusb hotplug ({@link UsbHotplug}) on a real host; tests,
 * on a machine without USB, use a stand-in that delivers the same events.
 */
public interface PhoneSource extends AutoCloseable {
  /**
   * Starts delivering events to {@code sink} (on a thread of the source's own).
   *
   * @return what is watched, for the user, e.g. "USB phones (libusb 1.0.22 hotplug)"
   * @throws IOException when phones cannot be watched; the message says why
   */
  String start(Consumer<PhoneEvent> sink) throws IOException;

  /** Stops delivering events; never throws. */
  @Override
  void close();
}
