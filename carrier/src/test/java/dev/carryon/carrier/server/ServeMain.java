package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.CarrierRoot;
import java.nio.file.Path;
import java.time.Clock;

/**
 * A carrier server in a child JVM for tests that kill it: serves the folder {@code args[0]} with
 * the token {@code args[1]} on a free loopback port, prints its URL as one line, and serves until
 * killed. Crash tests set {@code CARRYON_CUT_ROOT}/{@code CARRYON_CUT_AT} to halt it at a write
 * point, as a pulled plug would.
 */
public final class ServeMain {
  private ServeMain() {}

  public static void main(String[] args) throws Exception {
    CarrierServer server =
        CarrierServer.start(
            CarrierRoot.single(Path.of(args[0]), args[1], "carryon-serve/test", Clock.systemUTC()),
            "127.0.0.1", 0, null);
    System.out.println(server.uri());
    System.out.flush();
    server.join();
  }
}
