package dev.carryon.launcher.phone;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Manifest;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.watch.CarrierLook;
import dev.carryon.launcher.watch.PhoneCarriers;
import dev.carryon.launcher.watch.PhoneEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The carriers on a phone just plugged in, for {@code carryon watch}: the phone adb lists on that
 * USB port, its companion's list of carriers (asked over adb, as pairing is), and each carrier's
 * manifest read through an adb forward, named {@code adb://SERIAL/NAME}.
 */
public final class PhoneWatch implements PhoneCarriers {
  /** How long adb may take to list a phone once USB reported it (adb polls USB itself). */
  private static final long SEEN_MILLIS = 10_000;

  private final Adb adb;

  /** The phones this host is paired with. */
  private final Pairings pairings;

  public PhoneWatch(Adb adb, Pairings pairings) {
    this.adb = adb;
    this.pairings = pairings;
  }

  @Override
  public List<CarrierLook> on(PhoneEvent phone) throws IOException {
    try {
      Adb.Device device = seen(phone.usb());
      String serial = device.serial();
      if (!device.ready()) {
        throw new IOException(
            "phone " + serial + " (" + device.state() + "): allow USB debugging for this PC on the"
                + " phone");
      }
      if (!pairings.paired(serial)) {
        throw new IOException(
            "phone " + serial + " is not paired with this PC: run carryon phone pair --serial "
                + serial);
      }
      List<CarrierLook> looks = new ArrayList<>();
      for (String name : adb.carriers(serial)) {
        PhoneName carrier = new PhoneName(serial, name);
        try (CarrierStorage storage = PhoneStorage.open(carrier, adb, pairings);
            Carrier c = Carrier.open(storage)) {
          Manifest m = c.manifest();
          looks.add(
              new CarrierLook(
                  carrier.toString(), m.carrierId().toString(), m.currentGeneration(), m.lease()));
        }
      }
      return looks;
    } catch (CarryonException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public CarrierStorage open(String location) throws IOException {
    return PhoneStorage.open(PhoneName.parse(location), adb, pairings);
  }

  /** The phone adb lists on USB port {@code usb}, waiting a little for adb to see it. */
  private Adb.Device seen(String usb) throws IOException {
    long deadline = System.currentTimeMillis() + SEEN_MILLIS;
    while (true) {
      Optional<Adb.Device> d = adb.onUsb(usb);
      if (d.isPresent()) {
        return d.get();
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IOException(
            "adb lists no phone on USB " + usb + " (is USB debugging on in the phone's developer"
                + " options?)");
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while adb looked for the phone on USB " + usb, e);
      }
    }
  }
}
