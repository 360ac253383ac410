package dev.carryon.launcher.watch;

import java.io.IOException;
import java.util.List;

/**
 * The hook that names the carriers on a phone that was just plugged in, so the watch reports (and
 * may resume) them like carriers on a drive: the companion app's carriers, reached over adb, as
 * {@code adb://SERIAL/NAME} locations.
 *
 * <p>{@link #NONE} is what exists until {@code carryon phone list} can name a phone's carriers
 * (issue 11): the watch then reports the phone itself and no carrier on it.
 */
@FunctionalInterface
public interface PhoneCarriers {
  /** Names no carrier on any phone. */
  PhoneCarriers NONE = phone -> List.of();

  /** The carriers on {@code phone}, each read as the watch reads a folder's. */
  List<CarrierLook> on(PhoneEvent phone) throws IOException;
}
