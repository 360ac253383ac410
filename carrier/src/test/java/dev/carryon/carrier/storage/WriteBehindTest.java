package dev.carryon.carrier.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The head start a large file's force gets: it never changes what a carrier holds. */
class WriteBehindTest {
  @TempDir Path dir;

  /** Over four pieces of at least {@link WriteBehind#EVERY} bytes, as a server's PUTs bring them. */
  private static final int SIZE = (int) (4 * WriteBehind.EVERY + 12345);

  @Test
  void aFileRenamedWhileItsFlushWaitsIsNotMadeAgainUnderItsOldName() throws Exception {
    FolderStorage storage = FolderStorage.of(dir);
    storage.makeFolder("tmp");
    storage.makeFolder("states");
    byte[] bytes = new byte[SIZE];
    new Random(7).nextBytes(bytes);
    try (OutputStream out = storage.openWrite("tmp/S3.zst", 0)) {
      out.write(bytes, 0, (int) WriteBehind.EVERY);
      out.write(bytes, (int) WriteBehind.EVERY, SIZE - (int) WriteBehind.EVERY);
    }
    storage.rename("tmp/S3.zst", "states/S3.zst");
    // As when the flush of its last piece comes after the rename.
    WriteBehind.flush(dir.resolve("tmp/S3.zst"));
    WriteBehind.awaitFlushes();
    assertTrue(Files.notExists(dir.resolve("tmp/S3.zst")), "the old name stays free");
    assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("states/S3.zst")));
  }
}
