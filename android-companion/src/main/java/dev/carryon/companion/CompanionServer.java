package dev.carryon.companion;

import dev.carryon.carrier.protocol.CarrierRoot;
import dev.carryon.carrier.protocol.ProtocolHandler;
import dev.carryon.companion.http.HttpLimits;
import dev.carryon.companion.http.HttpServer;
import java.io.Closeable;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The companion's core, the same on a phone and on a desktop JVM: every carrier folder under a
 * storage root served at {@code /NAME/} with the carrier protocol, on the companion's own HTTP
 * server. The Android service and {@link DesktopRunner} both start it.
 */
public final class CompanionServer implements Closeable {
  /** How the server names itself in {@code info}. */
  public static final String SERVER = "carryon-companion/0.1.0";

  /** The folder holding the carriers. */
  private final Path root;

  /** The protocol core over {@link #root}. */
  private final CarrierRoot carriers;

  /** The HTTP server. */
  private final HttpServer http;

  private CompanionServer(Path root, CarrierRoot carriers, HttpServer http) {
    this.root = root;
    this.carriers = carriers;
    this.http = http;
  }

  /**
   * Serves the carriers under {@code root} (created if absent) to clients that send {@code token},
   * on {@code address} (port 0: any free port).
   */
  public static CompanionServer start(Path root, String token, InetSocketAddress address)
      throws IOException {
    Path folder = root.toAbsolutePath().normalize();
    Files.createDirectories(folder);
    CarrierRoot carriers = CarrierRoot.many(folder, token, SERVER, Clock.systemUTC());
    try {
      HttpServer http =
          HttpServer.start(
              address, new WireHandler(new ProtocolHandler(carriers)), HttpLimits.DEFAULT);
      return new CompanionServer(folder, carriers, http);
    } catch (IOException | RuntimeException e) {
      carriers.close();
      throw e;
    }
  }

  /** The folder holding the carriers, absolute. */
  public Path root() {
    return root;
  }

  /** The address served, with the port picked when 0 was asked. */
  public InetSocketAddress address() {
    return http.address();
  }

  /** The base URL of the carriers: {@code http://ADDR:PORT/}; a carrier is at {@code BASE/NAME/}. */
  public String url() {
    InetSocketAddress a = address();
    String host = a.getAddress().getHostAddress();
    if (a.getAddress() instanceof Inet6Address) {
      int zone = host.indexOf('%');
      host = "[" + (zone < 0 ? host : host.substring(0, zone)) + "]";
    }
    return "http://" + host + ":" + a.getPort() + "/";
  }

  /** Stops serving: open connections are cut, every write lock is released. */
  @Override
  public void close() throws IOException {
    try {
      http.close();
    } finally {
      carriers.close();
    }
  }
}
