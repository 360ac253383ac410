package dev.carryon.launcher.phone;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.util.regex.Pattern;

/**
 * A carrier on a phone, as the user names it: {@code adb://SERIAL/NAME} (the phone with that
 * serial) or {@code adb:NAME} (the one phone connected). NAME is the carrier's folder in the
 * companion's storage, served at {@code BASE/NAME/}.
 *
 * @param serial the phone's serial, or null for "the one phone connected"
 * @param name the carrier's name on the phone
 */
public record PhoneName(String serial, String name) {
  /** What every phone carrier's name starts with. */
  public static final String SCHEME = "adb:";

  /** A carrier's name under the companion's root, as the protocol allows at {@code /NAME/}. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}");

  /** True when {@code location} names a carrier on a phone. */
  public static boolean isPhone(String location) {
    return location.startsWith(SCHEME);
  }

  /** True when {@code name} may name a carrier on a phone. */
  static boolean isCarrierName(String name) {
    return NAME.matcher(name).matches();
  }

  /** Parses {@code adb://SERIAL/NAME} or {@code adb:NAME}; refuses anything else naming why. */
  public static PhoneName parse(String location) {
    if (!isPhone(location)) {
      throw bad(location, "a phone's carrier is named adb://SERIAL/NAME or adb:NAME");
    }
    String rest = location.substring(SCHEME.length());
    String serial = null;
    if (rest.startsWith("//")) {
      int slash = rest.indexOf('/', 2);
      if (slash < 0) {
        throw bad(location, "no carrier name after the serial (adb://SERIAL/NAME)");
      }
      serial = rest.substring(2, slash);
      rest = rest.substring(slash + 1);
      try {
        Adb.checkSerial(serial);
      } catch (CarryonException e) {
        throw bad(location, e.getMessage());
      }
    }
    if (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    if (!isCarrierName(rest)) {
      throw bad(
          location,
          "'" + rest + "' is not a carrier name (1-64 letters, digits, '.', '_', '-', not starting"
              + " with '.')");
    }
    return new PhoneName(serial, rest);
  }

  @Override
  public String toString() {
    return serial == null ? SCHEME + name : SCHEME + "//" + serial + "/" + name;
  }

  private static CarryonException bad(String location, String why) {
    return new CarryonException(ExitCodes.USAGE, location + ": " + why);
  }
}
