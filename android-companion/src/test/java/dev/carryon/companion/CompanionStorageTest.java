package dev.carryon.companion;

import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.protocol.Tokens;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.CarrierStorageContract;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract every carrier storage keeps, over HTTP from the companion's own server: a
 * carrier on the phone, at {@code BASE/NAME/}, behaves as a folder does.
 */
class CompanionStorageTest extends CarrierStorageContract {
  @TempDir Path dir;

  /** The companion serving this test's carriers. */
  private CompanionServer server;

  private String token;

  @Override
  protected CarrierStorage newStorage() throws IOException {
    token = Tokens.newToken();
    server =
        CompanionServer.start(
            dir.resolve("carriers"), token, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return secondClient();
  }

  @Override
  protected CarrierStorage secondClient() throws IOException {
    return HttpStorage.open(URI.create(server.url() + "work/"), token);
  }

  @AfterEach
  void stopServer() throws IOException {
    server.close();
  }
}
