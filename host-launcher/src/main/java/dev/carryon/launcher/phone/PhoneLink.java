package dev.carryon.launcher.phone;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * This PC's way to one carrier on a phone: the phone found through adb, its companion serving
 * (started if it was not), and a port of this PC's 127.0.0.1 forwarded to the companion's, removed
 * again on {@link #close}. The companion must have the token this PC paired with.
 */
public final class PhoneLink implements Closeable {
  /** How long the companion may take to start serving once asked. */
  private static final long START_MILLIS = 15_000;

  private final Adb adb;

  /** The carrier as the user named it, with the serial filled in. */
  private final PhoneName name;

  /** The token the companion wants. */
  private final String token;

  /** This PC's port forwarded to the phone. */
  private final int hostPort;

  private PhoneLink(Adb adb, PhoneName name, String token, int hostPort) {
    this.adb = adb;
    this.name = name;
    this.token = token;
    this.hostPort = hostPort;
  }

  /** Connects to carrier {@code name}'s phone with the token this host paired with. */
  public static PhoneLink open(PhoneName name, Adb adb, Pairings pairings) throws IOException {
    String serial = name.serial() != null ? name.serial() : onlyPhone(adb);
    String token = pairings.token(serial);
    Adb.Companion companion = serving(adb, serial);
    if (!companion.token().equals(token)) {
      throw new CarryonException(
          ExitCodes.REFUSED,
          "phone " + serial + ": its companion has another token than the one this PC paired with"
              + " (was the app reinstalled?): run carryon phone pair --serial " + serial);
    }
    int hostPort = adb.forward(serial, companion.port());
    return new PhoneLink(adb, new PhoneName(serial, name.name()), token, hostPort);
  }

  /**
   * The serial of the one phone connected with USB debugging authorised.
   *
   * @throws CarryonException when there is none, or several
   */
  public static String onlyPhone(Adb adb) {
    List<String> ready = new ArrayList<>();
    List<String> unauthorized = new ArrayList<>();
    for (Adb.Device d : adb.devices()) {
      (d.ready() ? ready : unauthorized).add(d.serial() + (d.ready() ? "" : " (" + d.state() + ")"));
    }
    if (ready.size() == 1) {
      return ready.get(0);
    }
    if (ready.isEmpty()) {
      throw new CarryonException(
          ExitCodes.ENVIRONMENT,
          "no phone is connected with USB debugging allowed for this PC"
              + (unauthorized.isEmpty()
                  ? ""
                  : " (" + String.join(", ", unauthorized) + ": accept this PC on the phone)"));
    }
    throw new CarryonException(
        ExitCodes.USAGE,
        "several phones are connected (" + String.join(", ", ready) + "): name one,"
            + " adb://SERIAL/NAME or --serial SERIAL");
  }

  /** The companion's answer once it serves, starting its service when it does not. */
  static Adb.Companion serving(Adb adb, String serial) {
    Adb.Companion c = adb.companion(serial);
    if (c.serving()) {
      return c;
    }
    adb.startServing(serial);
    long deadline = System.currentTimeMillis() + START_MILLIS;
    while (!c.serving() && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CarryonException(ExitCodes.INTERRUPTED, "interrupted while the phone started");
      }
      c = adb.companion(serial);
    }
    if (!c.serving()) {
      throw new CarryonException(
          ExitCodes.ENVIRONMENT,
          "phone " + serial + ": the companion did not start serving within " + START_MILLIS / 1000
              + " s: open the carryon app on the phone and tap Serve");
    }
    return c;
  }

  /** The carrier, with the phone's serial: {@code adb://SERIAL/NAME}. */
  public PhoneName name() {
    return name;
  }

  /** The carrier's URL through the forward: {@code http://127.0.0.1:PORT/NAME/}. */
  public String url() {
    return "http://127.0.0.1:" + hostPort + "/" + name.name() + "/";
  }

  /** The token the companion wants. */
  public String token() {
    return token;
  }

  /** Removes the forward. */
  @Override
  public void close() {
    adb.removeForward(name.serial(), hostPort);
  }
}
