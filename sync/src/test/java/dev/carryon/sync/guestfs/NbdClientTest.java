package dev.carryon.sync.guestfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.sync.ext4.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our NBD client against our NBD server: the two ends of the same negotiation and reads. */
class NbdClientTest {
  @TempDir Path dir;

  private static final byte[] DISK = pattern(3 * 4096 + 100);

  @Test
  void readsTheBytesOfTheExportItChose() throws IOException {
    try (NbdServer server = NbdServer.start(Map.of("a", device(new byte[8192]), "b", device(DISK)),
            dir.resolve("nbd.sock"));
        NbdClient client = NbdClient.connect(server.socket(), "b")) {
      assertArrayEquals(Arrays.copyOfRange(DISK, 0, 112), bytes(client.read(0, 112)));
      assertArrayEquals(
          Arrays.copyOfRange(DISK, 4000, DISK.length), bytes(client.read(4000, DISK.length - 4000)));
    }
  }

  @Test
  void anUnknownExportIsRefusedByName() throws IOException {
    try (NbdServer server = NbdServer.start(Map.of("a", device(DISK), "b", device(DISK)),
        dir.resolve("nbd.sock"))) {
      IOException e = assertThrows(IOException.class, () -> NbdClient.connect(server.socket(), "c"));
      assertTrue(e.getMessage().contains("refused export \"c\""), e.getMessage());
    }
  }

  @Test
  void aReadPastTheEndIsAnErrorNotBytes() throws IOException {
    try (NbdServer server = NbdServer.start(Map.of("a", device(DISK)), dir.resolve("nbd.sock"));
        NbdClient client = NbdClient.connect(server.socket(), "a")) {
      IOException e = assertThrows(IOException.class, () -> client.read(DISK.length - 10, 20));
      assertTrue(e.getMessage().contains("failed a read of 20 bytes at " + (DISK.length - 10)),
          e.getMessage());
      // The connection stays usable after a refused read.
      assertArrayEquals(Arrays.copyOfRange(DISK, 0, 10), bytes(client.read(0, 10)));
    }
  }

  private static BlockDevice device(byte[] bytes) {
    return BlockDevice.of(bytes.length, (dst, offset) -> dst.put(bytes, (int) offset, dst.remaining()));
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return a;
  }

  private static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 7 + (i >>> 9));
    }
    return b;
  }
}
