package dev.carryon.launcher.watch;

/**
 * The USB interface through which adb talks to a phone with USB debugging on (the class, subclass
 * and protocol adb itself matches; {@code packaging/70-carryon-adb.rules} gives the logged-in user
 * access to devices that have it).
 */
final class AdbInterface {
  /** bInterfaceClass: vendor specific. */
  static final int CLASS = 0xff;
  /** bInterfaceSubClass of ADB. */
  static final int SUBCLASS = 0x42;
  /** bInterfaceProtocol of ADB. */
  static final int PROTOCOL = 0x01;

  private AdbInterface() {}

  /** True for an interface (alternate setting) with ADB's class, subclass and protocol. */
  static boolean matches(int interfaceClass, int subclass, int protocol) {
    return interfaceClass == CLASS && subclass == SUBCLASS && protocol == PROTOCOL;
  }
}
