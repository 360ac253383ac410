package dev.carryon.carrier.protocol;

import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.CarrierStorageContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract over HTTP through the framework-free {@link ProtocolHandler}. */
class HandlerStorageTest extends CarrierStorageContract {
  @TempDir Path dir;

  /** The server of this test's carrier. */
  private JdkWireServer served;

  @Override
  protected CarrierStorage newStorage() throws IOException {
    served = JdkWireServer.start(Files.createDirectories(dir.resolve("carrier")), false);
    return HttpStorage.open(served.uri(), served.token());
  }

  @Override
  protected CarrierStorage secondClient() throws IOException {
    return HttpStorage.open(served.uri(), served.token());
  }

  @AfterEach
  void stopServer() throws IOException {
    served.close();
  }
}
