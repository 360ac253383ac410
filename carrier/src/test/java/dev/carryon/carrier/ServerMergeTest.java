package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.protocol.ErrorCode;
import dev.carryon.carrier.protocol.ProtocolException;
import dev.carryon.carrier.server.ServedFolder;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.carrier.storage.ServerSideImages;
import dev.carryon.carrier.storage.StorageLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server-side merge over HTTP, on real images ({@code qemu-img} makes them, {@code qemu-io}
 * writes the guest's data, {@code qemu-img convert} is the oracle): a session layer merged into
 * the carrier's COW where the bytes are, twice (it is idempotent), and a COW whose header names a
 * file outside the carrier refused before anything is read.
 */
class ServerMergeTest {
  private static final int SIZE = 1 << 20;

  @TempDir Path dir;

  @Test
  void aLayerIsMergedIntoTheCowOnTheServer() throws Exception {
    Path carrier = carrier(dir.resolve("carrier"), "base.raw");
    byte[] expected = Images.qemuRead(carrier.resolve("layers/L2.qcow2"), dir.resolve("scratch"));
    try (ServedFolder served = ServedFolder.single(carrier);
        HttpStorage storage = HttpStorage.open(served.uri(), served.token())) {
      ServerSideImages server = storage.serverSide().orElseThrow();
      try (StorageLock lock = storage.lock("merge test")) {
        server.merge("layers/L2.qcow2", "cow.qcow2", List.of("base.raw"));
        server.merge("layers/L2.qcow2", "cow.qcow2", List.of("base.raw"));
      }
    }
    assertArrayEquals(expected, Images.qemuRead(carrier.resolve("cow.qcow2"), dir.resolve("scratch")));
    Images.run(0, "qemu-img", "check", carrier.resolve("cow.qcow2").toString());
  }

  @Test
  void aHeaderNamingAFileOutsideTheCarrierIsRefused() throws Exception {
    Path secret = dir.resolve("secret.raw");
    Files.write(secret, Images.pattern(SIZE, 99));
    Path carrier = carrier(dir.resolve("carrier"), secret.toString());
    String before = Hex.sha256(Files.readAllBytes(carrier.resolve("cow.qcow2")));
    try (ServedFolder served = ServedFolder.single(carrier);
        HttpStorage storage = HttpStorage.open(served.uri(), served.token());
        StorageLock lock = storage.lock("merge test")) {
      ProtocolException e =
          assertThrows(
              ProtocolException.class,
              () -> storage.serverSide().orElseThrow()
                  .merge("layers/L2.qcow2", "cow.qcow2", List.of("base.raw")));
      assertEquals(ErrorCode.BAD_REQUEST, e.code());
      assertTrue(e.getMessage().contains("names backing file '" + secret + "'"), e.getMessage());
    }
    assertEquals(before, Hex.sha256(Files.readAllBytes(carrier.resolve("cow.qcow2"))));
  }

  /**
   * A carrier's images: a patterned raw base, a COW over {@code cowBacking} with one write, and
   * layer L2 over the COW with writes that overlap it and reach past it.
   */
  private static Path carrier(Path folder, String cowBacking) throws Exception {
    Files.createDirectories(folder.resolve("layers"));
    Files.write(folder.resolve("base.raw"), Images.pattern(SIZE, 1));
    Images.run(
        0, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "-b", cowBacking,
        "-F", "raw", folder.resolve("cow.qcow2").toString());
    Images.run(
        0, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "-b",
        "../cow.qcow2", "-F", "qcow2", folder.resolve("layers/L2.qcow2").toString());
    if (!cowBacking.startsWith("/")) {
      Images.qemuIoWrite(folder.resolve("cow.qcow2"), List.of(new Images.Write(8192, 8192, (byte) 7)));
    }
    Images.qemuIoWrite(
        folder.resolve("layers/L2.qcow2"),
        List.of(new Images.Write(12288, 8192, (byte) 9), new Images.Write(500 * 1024, 1000, (byte) 5)));
    return folder;
  }
}
