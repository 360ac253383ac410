package dev.carryon.carrier.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.carryon.carrier.protocol.ErrorCode;
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
 * A command that dies holding the write lock (its storage gone without releasing it) is followed by
 * the next command of the same host, which takes the lock over at once through the id its host
 * kept; while the first command lives, the second is refused as any other client is.
 */
class LockMemoryTest {
  @TempDir Path dir;

  @Test
  void theNextCommandOfTheHostTakesADeadCommandsLockOverAtOnce() throws Exception {
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    Path kept = dir.resolve("home/locks/server.lock");
    try (ServedFolder served = ServedFolder.single(carrier)) {
      HttpStorage dying = HttpStorage.open(served.uri(), served.token());
      dying.rememberLocksIn(LockMemory.at(kept));
      dying.lock("killed command");
      dying.write("f", 0, ByteBuffer.wrap(new byte[] {1}));
      try (HttpStorage alive = HttpStorage.open(served.uri(), served.token())) {
        // The first command still lives: the memory is its, the second asks as a stranger would.
        alive.rememberLocksIn(LockMemory.at(kept));
        assertThrows(StorageLockedException.class, () -> alive.lock("second command"));
      }
      dying.close(); // dies: the lock is neither released nor renewed, the memory's file is let go
      try (HttpStorage next = HttpStorage.open(served.uri(), served.token());
          HttpStorage stranger = HttpStorage.open(served.uri(), served.token())) {
        assertThrows(StorageLockedException.class, () -> stranger.lock("another host"));
        next.rememberLocksIn(LockMemory.at(kept));
        try (StorageLock held = next.lock("next command")) {
          next.write("f", 1, ByteBuffer.wrap(new byte[] {2}));
          ProtocolException e =
              assertThrows(
                  ProtocolException.class, () -> dying.write("f", 2, ByteBuffer.wrap(new byte[] {3})));
          assertEquals(ErrorCode.LOCK_REQUIRED, e.code());
        }
        // Released and forgotten: another host takes it.
        stranger.lock("another host").close();
        assertEquals("", Files.readString(kept));
      }
    }
    assertEquals(2, Files.size(carrier.resolve("f")));
  }
}
