package dev.carryon.launcher.watch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.usb4java.BufferUtils;
import org.usb4java.ConfigDescriptor;
import org.usb4java.Context;
import org.usb4java.Device;
import org.usb4java.DeviceDescriptor;
import org.usb4java.HotplugCallback;
import org.usb4java.HotplugCallbackHandle;
import org.usb4java.Interface;
import org.usb4java.InterfaceDescriptor;
import org.usb4java.LibUsb;

/**
 * Phones heard through libusb's hotplug events (usb4java): every USB device that arrives is checked
 * for an {@link AdbInterface ADB interface}; those that have one are reported, and reported again
 * when they leave. libusb reads the descriptors from sysfs, so no permission on the device is
 * needed to see it (only adb, to talk to it, needs the udev rule).
 *
 * <p>libusb calls back on the one thread here that handles its events; the callback only reads
 * descriptors and hands the event on, as libusb asks of hotplug callbacks.
 */
public final class UsbHotplug implements PhoneSource {
  /** How long one wait for libusb events lasts, so that {@link #close} is seen promptly. */
  private static final long EVENT_WAIT_MICROS = 250_000;

  /** The libusb context, or null before start. */
  private Context context;
  /** The registered callback, or null. */
  private HotplugCallbackHandle callback;
  /** Handles libusb's events; null before start. */
  private Thread events;
  private volatile boolean running;
  /** ADB devices present, by {@link PhoneEvent#usb()}: a leaving device has no descriptors left. */
  private final Map<String, PhoneEvent> present = new HashMap<>();

  @Override
  public String start(Consumer<PhoneEvent> sink) throws IOException {
    try {
      context = new Context();
      check(LibUsb.init(context), "initialise libusb");
    } catch (RuntimeException | LinkageError e) {
      // usb4java loads its JNI library on first use: a host without it, or a noexec temp folder.
      context = null;
      throw new IOException("libusb (usb4java) cannot run here: " + e.getMessage(), e);
    }
    try {
      if (!LibUsb.hasCapability(LibUsb.CAP_HAS_HOTPLUG)) {
        throw new IOException("this libusb has no hotplug support");
      }
      callback = new HotplugCallbackHandle();
      HotplugCallback onEvent = (ctx, device, event, data) -> {
        heard(device, event == LibUsb.HOTPLUG_EVENT_DEVICE_ARRIVED, sink);
        return 0; // stay registered
      };
      running = true;
      // HOTPLUG_ENUMERATE: phones already plugged in are reported as arriving.
      check(
          LibUsb.hotplugRegisterCallback(
              context,
              LibUsb.HOTPLUG_EVENT_DEVICE_ARRIVED | LibUsb.HOTPLUG_EVENT_DEVICE_LEFT,
              LibUsb.HOTPLUG_ENUMERATE,
              LibUsb.HOTPLUG_MATCH_ANY,
              LibUsb.HOTPLUG_MATCH_ANY,
              LibUsb.HOTPLUG_MATCH_ANY,
              onEvent,
              null,
              callback),
          "register the hotplug callback");
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    events = new Thread(this::handleEvents, "carryon-usb-events");
    events.setDaemon(true);
    events.start();
    return "USB phones (libusb " + LibUsb.getVersion() + " hotplug"
        + (Files.isDirectory(Path.of("/dev/bus/usb")) ? ")" : "; this host shows no USB bus)");
  }

  /** True while libusb's hotplug callback is registered. */
  boolean registered() {
    return callback != null && running;
  }

  private void handleEvents() {
    while (running) {
      int r = LibUsb.handleEventsTimeout(context, EVENT_WAIT_MICROS);
      if (r < 0 && r != LibUsb.ERROR_INTERRUPTED) {
        System.err.println("carryon: libusb stopped handling events: " + LibUsb.strError(r));
        return;
      }
    }
  }

  private void heard(Device device, boolean arrived, Consumer<PhoneEvent> sink) {
    String usb = usbPath(device);
    if (!arrived) {
      PhoneEvent came = present.remove(usb);
      if (came != null) {
        sink.accept(new PhoneEvent(false, usb, came.vendorId(), came.productId()));
      }
      return;
    }
    DeviceDescriptor d = new DeviceDescriptor();
    if (LibUsb.getDeviceDescriptor(device, d) < 0 || !hasAdbInterface(device, d)) {
      return;
    }
    PhoneEvent event = new PhoneEvent(true, usb, d.idVendor() & 0xffff, d.idProduct() & 0xffff);
    present.put(usb, event);
    sink.accept(event);
  }

  private static boolean hasAdbInterface(Device device, DeviceDescriptor d) {
    for (int c = 0; c < (d.bNumConfigurations() & 0xff); c++) {
      ConfigDescriptor config = new ConfigDescriptor();
      if (LibUsb.getConfigDescriptor(device, (byte) c, config) < 0) {
        continue;
      }
      try {
        for (Interface iface : config.iface()) {
          for (InterfaceDescriptor alt : iface.altsetting()) {
            if (AdbInterface.matches(
                alt.bInterfaceClass() & 0xff,
                alt.bInterfaceSubClass() & 0xff,
                alt.bInterfaceProtocol() & 0xff)) {
              return true;
            }
          }
        }
      } finally {
        LibUsb.freeConfigDescriptor(config);
      }
    }
    return false;
  }

  /** The device's place as adb and sysfs name it: bus, dash, ports joined by dots ({@code 1-4.2}). */
  private static String usbPath(Device device) {
    ByteBuffer ports = BufferUtils.allocateByteBuffer(7); // USB 3 allows at most 7 levels
    int n = LibUsb.getPortNumbers(device, ports);
    StringBuilder s = new StringBuilder().append(LibUsb.getBusNumber(device) & 0xff);
    for (int i = 0; i < n; i++) {
      s.append(i == 0 ? '-' : '.').append(ports.get(i) & 0xff);
    }
    return s.toString();
  }

  private static void check(int result, String what) throws IOException {
    if (result < 0) {
      throw new IOException("libusb could not " + what + ": " + LibUsb.strError(result));
    }
  }

  @Override
  public synchronized void close() {
    running = false;
    if (callback != null) {
      LibUsb.hotplugDeregisterCallback(context, callback); // wakes the event thread
      callback = null;
    }
    if (events != null) {
      try {
        events.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      events = null;
    }
    if (context != null) {
      LibUsb.exit(context);
      context = null;
    }
  }
}
