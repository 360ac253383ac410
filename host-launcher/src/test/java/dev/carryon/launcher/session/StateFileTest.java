package dev.carryon.launcher.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFileTest {
  @TempDir Path dir;

  @Test
  void roundTripsAndCompresses() throws IOException {
    byte[] state = new byte[3 << 20];
    Random random = new Random(7);
    for (int i = 0; i < state.length; i += 4096) {
      // half random pages, half zero pages, like a guest's RAM
      if ((i / 4096) % 2 == 0) {
        byte[] page = new byte[4096];
        random.nextBytes(page);
        System.arraycopy(page, 0, state, i, 4096);
      }
    }
    Path file = dir.resolve("S1.zst");
    try (OutputStream out = StateFile.create(file)) {
      out.write(state, 0, 1000);
      out.write(state, 1000, state.length - 1000);
    }
    assertTrue(Files.size(file) < state.length * 6L / 10, "compressed: " + Files.size(file));
    try (InputStream in = StateFile.open(file)) {
      assertArrayEquals(state, in.readAllBytes());
    }
  }

  @Test
  void neverOverwritesAState() throws IOException {
    Path file = dir.resolve("S1.zst");
    Files.write(file, new byte[] {1});
    assertThrows(FileAlreadyExistsException.class, () -> StateFile.create(file));
  }

  @Test
  void aFileThatIsNotZstdIsNamed() throws IOException {
    Path file = dir.resolve("S2.zst");
    Files.writeString(file, "QEVM this is a raw migration stream, not compressed");
    IOException e = assertThrows(IOException.class, () -> StateFile.open(file));
    assertTrue(e.getMessage().contains(file + " is not a zstd stream"), e.getMessage());
  }
}
