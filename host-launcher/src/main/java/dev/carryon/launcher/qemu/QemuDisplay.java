package dev.carryon.launcher.qemu;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * How this host shows a VM's screen: QEMU's {@code -display} value, chosen at resume ({@code
 * --display gtk|sdl|vnc=ADDR:N|none}), never stored on the carrier.
 */
public final class QemuDisplay {
  /** A VNC server on an IPv4 address (or localhost) and display number (port 5900 + N). */
  private static final Pattern VNC =
      Pattern.compile("vnc=(localhost|\\d{1,3}(\\.\\d{1,3}){3}):(\\d{1,2})");

  private QemuDisplay() {}

  /**
   * The {@code -display} value for what the user asked.
   *
   * @throws IllegalArgumentException for anything but gtk, sdl, none or vnc=ADDR:N
   */
  public static String parse(String asked) {
    if (asked.equals("gtk") || asked.equals("sdl") || asked.equals("none")
        || VNC.matcher(asked).matches()) {
      return asked;
    }
    throw new IllegalArgumentException(
        "(" + asked + ") must be gtk, sdl, none or vnc=ADDR:N, e.g. vnc=127.0.0.1:1");
  }

  /**
   * The display when the user chose none: a window where a desktop session is there ({@code
   * $DISPLAY} or {@code $WAYLAND_DISPLAY}), else none.
   */
  public static String byDefault(Map<String, String> env) {
    boolean desktop =
        !env.getOrDefault("DISPLAY", "").isEmpty()
            || !env.getOrDefault("WAYLAND_DISPLAY", "").isEmpty();
    return desktop ? "gtk" : "none";
  }

  /** The VNC port a {@code vnc=ADDR:N} display listens on, or -1 for another display. */
  public static int vncPort(String display) {
    var m = VNC.matcher(display);
    return m.matches() ? 5900 + Integer.parseInt(m.group(3)) : -1;
  }
}
