package dev.carryon.carrier.client;

import dev.carryon.carrier.server.ServedFolder;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.CarrierStorageContract;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract over HTTP: the client against the real server on loopback. One server of
 * several carriers for the class (Jersey takes most of a second to start); each test gets a new
 * carrier at {@code /NAME/}, which the server creates when the test first takes the lock.
 */
class HttpStorageTest extends CarrierStorageContract {
  @TempDir static Path root;

  /** The server of every test's carrier. */
  private static ServedFolder served;

  /** Numbers the tests' carriers. */
  private static final AtomicInteger next = new AtomicInteger();

  /** This test's carrier. */
  private URI carrier;

  @BeforeAll
  static void startServer() throws IOException {
    served = ServedFolder.many(root);
  }

  @AfterAll
  static void stopServer() throws IOException {
    served.close();
  }

  @Override
  protected CarrierStorage newStorage() throws IOException {
    carrier = served.uri().resolve("c" + next.incrementAndGet() + "/");
    return HttpStorage.open(carrier, served.token());
  }

  @Override
  protected CarrierStorage secondClient() throws IOException {
    return HttpStorage.open(carrier, served.token());
  }
}
