package dev.carryon.launcher.watch;

import java.util.function.Consumer;

/**
 * A STAND-IN for {@link UsbHotplug}, for a machine whose kernel has no USB (this one): the test
 * says when a phone with an ADB interface comes and goes, and the watch hears exactly the events
 * libusb's callback would deliver. The real path is {@link UsbHotplug}, tested as far as this
 * machine allows in {@link UsbHotplugTest}.
 */
public final class StandInPhoneEvents implements PhoneSource {
  private volatile Consumer<PhoneEvent> sink;

  @Override
  public String start(Consumer<PhoneEvent> sink) {
    this.sink = sink;
    return "USB phones (a test's stand-in for libusb hotplug)";
  }

  /** Delivers {@code event} as libusb's callback would. */
  public void deliver(PhoneEvent event) {
    sink.accept(event);
  }

  @Override
  public void close() {
    sink = null;
  }
}
