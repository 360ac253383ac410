package dev.carryon.companion;

import dev.carryon.carrier.protocol.Tokens;
import dev.carryon.carrier.protocol.WireRefusalContract;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;

/** Every refusal of the carrier protocol, from the companion's own server, over raw HTTP. */
class CompanionRefusalTest extends WireRefusalContract {
  @Override
  protected Served start(Path dir) throws IOException {
    String token = Tokens.newToken();
    CompanionServer server =
        CompanionServer.start(
            dir.resolve("carriers"), token, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return new Served(
        URI.create(server.url() + "phone-carrier/"), token, server.root().resolve("phone-carrier"), server);
  }
}
