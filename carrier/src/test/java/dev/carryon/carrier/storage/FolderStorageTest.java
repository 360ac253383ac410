package dev.carryon.carrier.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract on a local folder. */
class FolderStorageTest extends CarrierStorageContract {
  @TempDir Path dir;

  @Override
  protected CarrierStorage newStorage() throws IOException {
    Files.createDirectories(dir.resolve("carrier"));
    return FolderStorage.of(dir.resolve("carrier"));
  }

  @Override
  protected CarrierStorage secondClient() {
    return FolderStorage.of(dir.resolve("carrier"));
  }
}
