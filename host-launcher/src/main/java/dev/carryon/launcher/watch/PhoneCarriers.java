package dev.carryon.launcher.watch;

import dev.carryon.carrier.storage.CarrierStorage;
import java.io.IOException;
import java.util.List;

/**
 * The hook that names the carriers on a phone that was just plugged in, so the watch reports (and
 * may resume) them like carriers on a drive: the companion app's carriers, reached over adb, as
 * {@code adb://SERIAL/NAME} locations.
 *
 * <p>{@code phone.PhoneWatch} is the one that asks the companion over adb; {@link #NONE} names
 * nothing (the watch then reports the phone itself and no carrier on it).
 */
@FunctionalInterface
public interface PhoneCarriers {
  /** Names no carrier on any phone. */
  PhoneCarriers NONE = phone -> List.of();

  /** The carriers on {@code phone}, each read as the watch reads a folder's. */
  List<CarrierLook> on(PhoneEvent phone) throws IOException;

  /** The storage of carrier {@code location}, one that {@link #on} named, to resume it. */
  default CarrierStorage open(String location) throws IOException {
    throw new IOException(location + ": no phone carriers are reached here");
  }
}
