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
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The served carrier's write lock over time (the protocol core, no HTTP): it expires when its
 * holder stops renewing, never while a request made with it runs, and the folder's own lock goes
 * with it; a dead holder's successor, naming its lock id, takes it over at once.
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
    carrier.write(a, "layers/L2.qcow2", "0", "3", null, 3, slowBody);
    assertEquals("AAA", Files.readString(dir.resolve("carrier/layers/L2.qcow2")));
    // The request is over and the time long past: now it expires.
    lock("writer B", 5);
  }

  @Test
  void theHoldersIdTakesTheLockOverAtOnceAndNothingElseDoes() throws IOException {
    String dead = lock("killed writer", 60);
    write(dead, "AAA");
    ProtocolException wrong =
        assertThrows(ProtocolException.class, () -> lock("stranger", 60, "0".repeat(32)));
    assertEquals(ErrorCode.LOCKED, wrong.code());
    assertEquals(
        ErrorCode.BAD_REQUEST,
        assertThrows(ProtocolException.class, () -> lock("stranger", 60, "../x")).code());
    // No time passes: the successor does not wait for the dead one's lock to expire.
    String next = lock("its successor", 60, dead);
    assertTrue(!next.equals(dead) && next.matches("[0-9a-f]{32}"), next);
    write(next, "BBB");
    assertEquals(
        ErrorCode.LOCK_REQUIRED, assertThrows(ProtocolException.class, () -> write(dead, "CCC")).code());
    // The folder stays locked through the handover, and the used id cannot be used again.
    assertThrows(
        StorageLockedException.class, () -> FolderStorage.of(dir.resolve("carrier")).lock("local"));
    assertEquals(
        ErrorCode.LOCKED, assertThrows(ProtocolException.class, () -> lock("again", 60, dead)).code());
    assertEquals("BBB", Files.readString(dir.resolve("carrier/layers/L2.qcow2")));
  }

  @Test
  void aTakeoverWaitsForTheDeadHoldersRequestStillRunning() throws Exception {
    String dead = lock("killed writer", 60);
    CountDownLatch inBody = new CountDownLatch(1);
    InputStream slowBody =
        new ByteArrayInputStream("AAA".getBytes(StandardCharsets.US_ASCII)) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            inBody.countDown();
            try {
              Thread.sleep(500);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return super.read(b, off, len);
          }
        };
    Thread writer =
        new Thread(
            () -> {
              try {
                carrier.write(dead, "layers/L2.qcow2", "0", "3", null, 3, slowBody);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    writer.start();
    inBody.await();
    String next = lock("its successor", 60, dead);
    // The dead holder's write was whole before the lock changed hands.
    assertEquals("AAA", Files.readString(dir.resolve("carrier/layers/L2.qcow2")));
    write(next, "BBB");
    writer.join();
  }

  private String lock(String owner, int ttl) throws IOException {
    return lock(owner, ttl, null);
  }

  private String lock(String owner, int ttl, String reclaim) throws IOException {
    String body =
        "{\"owner\":\"" + owner + "\",\"ttlSeconds\":" + ttl
            + (reclaim == null ? "" : ",\"reclaim\":\"" + reclaim + "\"") + "}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return JSON.readTree(carrier.lock(new ByteArrayInputStream(bytes), bytes.length))
        .path("lock")
        .asText();
  }

  private void write(String lock, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    carrier.write(
        lock, "layers/L2.qcow2", "0", Integer.toString(bytes.length), null, bytes.length,
        new ByteArrayInputStream(bytes));
  }
}
