package dev.carryon.carrier.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
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

  /** A carrier holds a session's disk and RAM: what this storage creates is its owner's alone. */
  @Test
  void everythingCreatedIsPrivate() throws IOException {
    try (StorageLock lock = storage.lock("mode test")) {
      storage.makeFolder("layers");
      storage.write("layers/L2.qcow2", 0, ByteBuffer.wrap(new byte[] {1}));
      storage.openWrite("base.raw", 0).close();
      storage.replaceManifest(new byte[] {'{', '}'}, null);
    }
    Path c = dir.resolve("carrier");
    for (String name :
        new String[] {"layers/L2.qcow2", "base.raw", "carryon.json", "carryon.lock"}) {
      assertEquals("rw-------", mode(c.resolve(name)), name);
    }
    for (String name : new String[] {"layers", "tmp"}) {
      assertEquals("rwx------", mode(c.resolve(name)), name);
    }
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
