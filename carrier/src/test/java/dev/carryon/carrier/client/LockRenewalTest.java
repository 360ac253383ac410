package dev.carryon.carrier.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.carryon.carrier.protocol.ErrorCode;
import dev.carryon.carrier.protocol.Protocol;
import dev.carryon.carrier.protocol.ProtocolException;
import dev.carryon.carrier.server.ServedFolder;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.carrier.storage.StorageLockedException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client keeps its write lock while it holds it, past the lock's own time, by renewing it;
 * a second client is refused all along.
 */
class LockRenewalTest {
  @TempDir Path dir;

  @Test
  void aHeldLockOutlivesItsTimeByRenewal() throws Exception {
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    try (ServedFolder served = ServedFolder.single(carrier);
        HttpStorage first = HttpStorage.open(served.uri(), served.token(), Protocol.MIN_LOCK_SECONDS);
        HttpStorage second = HttpStorage.open(served.uri(), served.token())) {
      try (StorageLock held = first.lock("long writer")) {
        // Twice the lock's 5 s: without renewal it would have expired.
        Thread.sleep(2L * Protocol.MIN_LOCK_SECONDS * 1000);
        assertThrows(StorageLockedException.class, () -> second.lock("second writer"));
        first.write("f", 0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
      }
      // Released: a write without it is refused, the second writer gets the lock.
      ProtocolException e =
          assertThrows(ProtocolException.class, () -> first.write("f", 0, ByteBuffer.wrap(new byte[1])));
      assertEquals(ErrorCode.LOCK_REQUIRED, e.code());
      second.lock("second writer").close();
    }
    assertEquals(3, Files.size(carrier.resolve("f")));
  }
}
