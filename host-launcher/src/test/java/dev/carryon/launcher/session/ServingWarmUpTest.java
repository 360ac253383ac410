package dev.carryon.launcher.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The keeper's warm-up serves and reads its own image, and leaves no folder behind. */
class ServingWarmUpTest {
  @Test
  void readsItsImageBackThroughTheBlockServerAndCleansUp() throws IOException {
    long before = warmUpFolders();
    // Throws if any read through the NBD server gives other bytes than the image's.
    ServingWarmUp.run();
    ServingWarmUp.run();
    assertEquals(before, warmUpFolders());
  }

  private static long warmUpFolders() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("carryon-warm-up-")).count();
    }
  }
}
