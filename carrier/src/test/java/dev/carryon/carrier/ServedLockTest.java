package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.carrier.protocol.CarrierRoot;
import dev.carryon.carrier.protocol.ErrorCode;
import dev.carryon.carrier.protocol.ProtocolException;
import dev.carryon.carrier.protocol.ServedCarrier;
import dev.carryon.carrier.protocol.Tokens;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.storage.StorageLockedException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The served carrier's write lock over time (the protocol core, no HTTP): it expires when its
 * holder stops renewing, never while a request made with it runs, and the folder's own lock goes
 * with it.
 */
class ServedLockTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** Moved by the tests. */
  private final TestClock clock = new TestClock(Instant.parse("2026-11-30T10:00:00Z"));

  private CarrierRoot root;

  private ServedCarrier carrier;

  @BeforeEach
  void serve() throws IOException {
    Files.createDirectories(dir.resolve("carrier/layers"));
    root = CarrierRoot.single(dir.resolve("carrier"), Tokens.newToken(), "test", clock);
    carrier = root.resolve("/").carrier();
  }

  @AfterEach
  void stop() throws IOException {
    root.close();
  }

  @Test
  void aLockNotRenewedExpiresAndFreesTheFolder() throws IOException {
    String a = lock("writer A", 5);
    clock.advance(Duration.ofSeconds(4));
    carrier.renew(a);
    clock.advance(Duration.ofSeconds(4));
    ProtocolException held = assertThrows(ProtocolException.class, () -> lock("writer B", 5));
    assertEquals(ErrorCode.LOCKED, held.code());
    assertEquals("writer A", held.fields().get("holder"));
    clock.advance(Duration.ofSeconds(2));
    String b = lock("writer B", 5);
    ProtocolException lost = assertThrows(ProtocolException.class, () -> write(a, "AAA"));
    assertEquals(ErrorCode.LOCK_REQUIRED, lost.code());
    assertEquals(ErrorCode.LOCK_REQUIRED, assertThrows(ProtocolException.class, () -> carrier.renew(a)).code());
    StorageLockedException local =
        assertThrows(
            StorageLockedException.class,
            () -> FolderStorage.of(dir.resolve("carrier")).lock("local command"));
    assertTrue(local.getMessage().contains("writer B"), local.getMessage());
    clock.advance(Duration.ofSeconds(6));
    // B stopped renewing too: once the root lets it go (every second, by itself), the folder is
    // free for a local command.
    root.expireLocks();
    FolderStorage.of(dir.resolve("carrier")).lock("local command").close();
    assertEquals(
        ErrorCode.LOCK_REQUIRED, assertThrows(ProtocolException.class, () -> write(b, "BBB")).code());
  }

  @Test
  void aLockDoesNotExpireWhileARequestMadeWithItRuns() throws IOException {
    String a = lock("writer A", 5);
    InputStream slowBody =
        new ByteArrayInputStream("AAA".getBytes(StandardCharsets.US_ASCII)) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            // The body takes longer than the lock's time to arrive; meanwhile another asks.
            clock.advance(Duration.ofSeconds(30));
            ProtocolException e = assertThrows(ProtocolException.class, () -> lock("writer B", 5));
            assertEquals(ErrorCode.LOCKED, e.code());
            return super.read(b, off, len);
          }
        };
    carrier.write(a, "layers/L2.qcow2", "0", "3", 3, slowBody);
    assertEquals("AAA", Files.readString(dir.resolve("carrier/layers/L2.qcow2")));
    // The request is over and the time long past: now it expires.
    lock("writer B", 5);
  }

  private String lock(String owner, int ttl) throws IOException {
    String body = "{\"owner\":\"" + owner + "\",\"ttlSeconds\":" + ttl + "}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return JSON.readTree(carrier.lock(new ByteArrayInputStream(bytes), bytes.length))
        .path("lock")
        .asText();
  }

  private void write(String lock, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    carrier.write(
        lock, "layers/L2.qcow2", "0", Integer.toString(bytes.length), bytes.length,
        new ByteArrayInputStream(bytes));
  }
}
