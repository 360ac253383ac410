package dev.carryon.launcher.qemu;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One port of this host forwarded to the guest through QEMU's user-mode NAT, in QEMU's own
 * {@code hostfwd} syntax: {@code tcp:127.0.0.1:8080-:80} (protocol, host address and port, guest
 * address and port; an empty address is every address of the host, or the guest's DHCP one). Chosen
 * at resume, never stored on the carrier: how a VM reaches the world belongs to the host.
 *
 * @param spec the forward as {@code -netdev user,hostfwd=} takes it
 */
public record HostForward(String spec) {
  private static final String IPV4 = "(?:\\d{1,3}(?:\\.\\d{1,3}){3})?";
  private static final Pattern SPEC =
      Pattern.compile("(tcp|udp):" + IPV4 + ":(\\d{1,5})-" + IPV4 + ":(\\d{1,5})");

  public HostForward {
    Matcher m = spec == null ? null : SPEC.matcher(spec);
    if (m == null || !m.matches() || !port(m.group(2)) || !port(m.group(3))) {
      throw new IllegalArgumentException(
          "(" + spec + ") must be PROTOCOL:[HOSTADDR]:PORT-[GUESTADDR]:PORT, e.g."
              + " tcp:127.0.0.1:8080-:80, with ports from 1 to 65535");
    }
  }

  private static boolean port(String digits) {
    int p = Integer.parseInt(digits);
    return p >= 1 && p <= 65535;
  }
}
