package dev.carryon.launcher.cli;

import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.CarrierStorageContract;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract against a real {@code carryon serve --many} process on loopback, each test
 * on a new carrier at {@code /NAME/}.
 */
class ServedStorageTest extends CarrierStorageContract {
  @TempDir static Path dir;

  /** The server, one for the class. */
  private static ServeProcess serve;

  /** Its token. */
  private static String token;

  /** Numbers the tests' carriers. */
  private static final AtomicInteger next = new AtomicInteger();

  /** This test's carrier. */
  private URI carrier;

  @BeforeAll
  static void startServer() throws Exception {
    Path root = Files.createDirectories(dir.resolve("carriers"));
    serve =
        ServeProcess.start(
            dir, root.toString(), "--many", "--listen", "127.0.0.1:0", "--token-file",
            dir.resolve("token").toString());
    token = Files.readString(dir.resolve("token")).trim();
  }

  @AfterAll
  static void stopServer() throws IOException {
    serve.close();
  }

  @Override
  protected CarrierStorage newStorage() throws IOException {
    carrier = serve.uri().resolve("c" + next.incrementAndGet() + "/");
    return HttpStorage.open(carrier, token);
  }

  @Override
  protected CarrierStorage secondClient() throws IOException {
    return HttpStorage.open(carrier, token);
  }
}
