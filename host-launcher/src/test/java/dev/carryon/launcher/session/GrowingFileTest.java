package dev.carryon.launcher.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state's upload reads the host's file while the save still appends to it. */
class GrowingFileTest {
  @TempDir Path dir;

  @Test
  void readsEveryByteAsTheWriterAppendsAndEndsOnceToldTheFileIsWhole() throws Exception {
    byte[] all = new byte[3 << 20];
    new Random(7).nextBytes(all);
    Path file = dir.resolve("state.zst");
    try (OutputStream out = Files.newOutputStream(file);
        GrowingFile in = GrowingFile.follow(file)) {
      CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> readAll(in));
      // Pieces of uneven sizes with pauses: the reader reaches the end of what is there often.
      for (int at = 0, step = 1; at < all.length; step = step * 3 % 1_000_003) {
        int n = Math.min(all.length - at, 1 + step % 400_000);
        out.write(all, at, n);
        out.flush();
        at += n;
        Thread.sleep(1);
      }
      assertFalse(read.isDone(), "the reader ended before the file was whole");
      in.whole();
      assertArrayEquals(all, read.get());
    }
  }

  @Test
  void aWriterThatGivesUpFailsTheReaderWithItsReason() throws Exception {
    Path file = dir.resolve("state.zst");
    Files.write(file, new byte[1000]);
    try (GrowingFile in = GrowingFile.follow(file)) {
      assertEquals(1000, in.readNBytes(1000).length);
      in.abandon(new IOException("no space left on device"));
      IOException e = assertThrows(IOException.class, in::read);
      assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("no space left on device"), e.getMessage());
    }
  }

  private static byte[] readAll(GrowingFile in) {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }
}
