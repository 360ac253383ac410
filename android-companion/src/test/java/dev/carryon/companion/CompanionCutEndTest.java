package dev.carryon.companion;

import dev.carryon.carrier.DroppedConnectionContract;
import dev.carryon.carrier.protocol.Tokens;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;

/**
 * The dropped-connection harness of the wire against the companion's own server, as a phone
 * serves: a session end or a reset cut at any byte leaves the old generation or the new one, and
 * the rerun finishes. Fewer cuts than against carryon serve: the protocol core behind both is the same, what
 * differs is the companion's HTTP server.
 */
class CompanionCutEndTest extends DroppedConnectionContract {
  @Override
  protected Served serveMany(Path carriers) throws IOException {
    String token = Tokens.newToken();
    CompanionServer server =
        CompanionServer.start(
            carriers, token, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return new Served(URI.create(server.url()), token, server);
  }

  @Override
  protected int cuts() {
    return 60;
  }

  @Override
  protected int resetCuts() {
    return 12;
  }
}
