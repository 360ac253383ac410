package dev.carryon.launcher.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CarrierScanTest {
  @TempDir Path drive;

  private Path manifestIn(String folder) throws IOException {
    Path f = Files.createDirectories(drive.resolve(folder));
    Files.writeString(f.resolve(CarrierLook.MANIFEST), "{}");
    return f;
  }

  @Test
  void findsCarriersAtTheRootAndOneLevelDown() throws IOException {
    Files.writeString(drive.resolve(CarrierLook.MANIFEST), "{}");
    Path b = manifestIn("b");
    Path a = manifestIn("a");
    assertEquals(List.of(drive, a, b), CarrierScan.carriersOn(drive));
  }

  @Test
  void looksNoDeeperNorIntoDotFoldersNorThroughLinks() throws IOException {
    manifestIn("x/deeper");
    manifestIn(".Trash-1000");
    Path elsewhere = Files.createTempDirectory("elsewhere");
    try {
      Files.writeString(elsewhere.resolve(CarrierLook.MANIFEST), "{}");
      Files.createSymbolicLink(drive.resolve("link"), elsewhere);
      Files.createDirectories(drive.resolve("m"));
      Files.createSymbolicLink(
          drive.resolve("m").resolve(CarrierLook.MANIFEST), elsewhere.resolve(CarrierLook.MANIFEST));
      assertEquals(List.of(), CarrierScan.carriersOn(drive));
    } finally {
      Files.delete(elsewhere.resolve(CarrierLook.MANIFEST));
      Files.delete(elsewhere);
    }
  }
}
