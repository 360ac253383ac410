package dev.carryon.carrier.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.protocol.Protocol;
import dev.carryon.carrier.protocol.Tokens;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that dies under a writer (halted at a write point, as a pulled plug would): the client
 * fails with the URL in its message, and the file on the server holds exactly the pieces that
 * were written before, byte for byte; a restarted server serves them, and the lock of the dead
 * server's client is gone with it.
 */
class ServerKilledTest {
  @TempDir Path dir;

  @Test
  void anUploadCutByTheServersDeathLeavesWholePieces() throws Exception {
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    byte[] data = new byte[5 * Protocol.MAX_WRITE + 1000];
    new Random(7).nextBytes(data);
    String token = Tokens.newToken();
    // Point 1 is the first piece's write; the server halts before its third.
    try (ServerProcess server =
            ServerProcess.start(
                carrier, token, dir.resolve("server.log"),
                Map.of("CARRYON_CUT_ROOT", carrier.toString(), "CARRYON_CUT_AT", "3"));
        HttpStorage storage = HttpStorage.open(server.uri(), token)) {
      storage.lock("uploader");
      IOException e =
          assertThrows(
              IOException.class,
              () -> {
                try (OutputStream out = storage.openWrite("layer.qcow2", 0)) {
                  out.write(data);
                }
              });
      assertTrue(e.getMessage().contains(server.uri().toString()), e.getMessage());
      assertEquals(WritePoints.CUT_EXIT_CODE, server.waitFor(60));
    }
    byte[] left = Files.readAllBytes(carrier.resolve("layer.qcow2"));
    assertEquals(2L * Protocol.MAX_WRITE, left.length);
    assertArrayEquals(Arrays.copyOf(data, left.length), left);
    try (ServerProcess again = ServerProcess.start(carrier, token, dir.resolve("again.log"), Map.of());
        HttpStorage storage = HttpStorage.open(again.uri(), token);
        StorageLock lock = storage.lock("next writer")) {
      assertEquals(left.length, storage.size("layer.qcow2").getAsLong());
      assertEquals(
          dev.carryon.carrier.storage.Hex.sha256(left),
          storage.hash("layer.qcow2", left.length).sha256());
      // Uncut, the same upload (its pieces on their way two at a time, ordered) lands whole.
      try (OutputStream out = storage.openWrite("whole.qcow2", 0)) {
        out.write(data);
      }
      assertArrayEquals(data, Files.readAllBytes(carrier.resolve("whole.qcow2")));
    }
  }
}
