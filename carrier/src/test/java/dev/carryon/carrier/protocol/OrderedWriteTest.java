package dev.carryon.carrier.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An ordered write whose predecessors never land (a cut series): refused, nothing written. */
class OrderedWriteTest {
  @TempDir Path dir;

  /** The carrier's tmp/ folder. */
  private Path folder;

  /** A served carrier with an empty tmp/, its ordered writes waiting {@code wait}. */
  private ServedCarrier served(Duration wait) throws IOException {
    folder = Files.createDirectories(dir.resolve("carrier").resolve("tmp"));
    return new ServedCarrier(null, folder.getParent(), "test", Clock.systemUTC(), wait);
  }

  /** Takes {@code c}'s write lock; its id. */
  private static String lock(ServedCarrier c) throws IOException {
    String owner = "{\"owner\":\"test\",\"ttlSeconds\":60}";
    byte[] answer = c.lock(body(owner), owner.length()).getBytes(StandardCharsets.UTF_8);
    return WireJson.parseObject(answer, "lock").path("lock").asText();
  }

  private static InputStream body(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void anOrderedWriteWhoseWritesBeforeItNeverComeIsRefusedAndWritesNothing() throws IOException {
    ServedCarrier c = served(Duration.ofMillis(150));
    String lock = lock(c);
    c.write(lock, "tmp/S9.zst", "0", "3", null, 3, body("ABC"));
    ProtocolException e =
        assertThrows(
            ProtocolException.class, () -> c.write(lock, "tmp/S9.zst", "6", "3", "1", 3, body("GHI")));
    assertEquals(ErrorCode.OUT_OF_ORDER, e.code());
    assertEquals(
        "tmp/S9.zst: an ordered write at byte 6 found the file 3 bytes long after 150 ms; nothing was"
            + " written",
        e.getMessage());
    assertEquals("ABC", Files.readString(folder.resolve("S9.zst")));
    // The one before it lands: then it goes.
    c.write(lock, "tmp/S9.zst", "3", "3", "1", 3, body("DEF"));
    assertEquals("ABCDEF", Files.readString(folder.resolve("S9.zst")));
  }

  @Test
  void anOrderedWriteBehindACutOneIsRefusedWithoutWaiting() throws IOException {
    // Were the cut not noticed, the ordered write would wait its minute and name the wait.
    ServedCarrier c = served(Duration.ofMinutes(1));
    String lock = lock(c);
    c.write(lock, "tmp/S9.zst", "0", "3", null, 3, body("ABC"));
    ProtocolException cut =
        assertThrows(ProtocolException.class, () -> c.write(lock, "tmp/S9.zst", "3", "3", null, 3, body("DE")));
    assertEquals(ErrorCode.LENGTH_MISMATCH, cut.code());
    ProtocolException e =
        assertThrows(
            ProtocolException.class, () -> c.write(lock, "tmp/S9.zst", "6", "3", "1", 3, body("GHI")));
    assertEquals(ErrorCode.OUT_OF_ORDER, e.code());
    assertEquals(
        "tmp/S9.zst: an ordered write at byte 6 found the file 3 bytes long and the write before it"
            + " cut; nothing was written",
        e.getMessage());
    assertEquals("ABC", Files.readString(folder.resolve("S9.zst")));
    // The cut one sent again, the ordered one goes.
    c.write(lock, "tmp/S9.zst", "3", "3", null, 3, body("DEF"));
    c.write(lock, "tmp/S9.zst", "6", "3", "1", 3, body("GHI"));
    assertEquals("ABCDEFGHI", Files.readString(folder.resolve("S9.zst")));
  }
}
