package dev.carryon.cow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

class OwnerOnlyTest {
  @Test
  void aTemporaryFolderIsItsOwnersAloneAndNamedFromItsPrefix() throws IOException {
    Path dir = OwnerOnly.createTempDirectory("carryon-owner-only-test-");
    try {
      assertTrue(dir.getFileName().toString().startsWith("carryon-owner-only-test-"), dir.toString());
      assertEquals(Path.of(System.getProperty("java.io.tmpdir")).toRealPath(), dir.getParent().toRealPath());
      assertEquals(OwnerOnly.FOLDER_MODE, PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    } finally {
      Files.delete(dir);
    }
  }
}
