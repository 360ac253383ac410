package dev.carryon.launcher.session;

import dev.carryon.carrier.ChunkList;
import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.launcher.blocks.ChunkStore;
import dev.carryon.launcher.blocks.VerifiedImage;
import dev.carryon.launcher.host.Folders;
import dev.carryon.sync.guestfs.NbdClient;
import dev.carryon.sync.guestfs.NbdServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs a session keeper's serving path once, on an image of its own, while the keeper waits for
 * its spec: chunks verified from a "carrier" in memory into a chunk store in a temporary folder,
 * then from that store's files, each through the NBD server and read back as QEMU's qcow2 driver
 * opens an image. In a keeper's fresh JVM, QEMU's first connection to each image of its chain
 * otherwise paid for that code's first run (classes loaded, lambdas and string concatenation
 * bootstrapped) while QEMU waited.
 */
final class ServingWarmUp {
  /** Export name and description of the image. */
  private static final String IMAGE = "warm-up";

  /** Its bytes: two chunks, so that a read crosses from one into the next. */
  private static final int IMAGE_BYTES = 2 * ChunkList.CHUNK_SIZE;

  private ServingWarmUp() {}

  /** Serves and reads the image twice; fails if a read gives other bytes than the image's. */
  static void run() throws IOException {
    Path folder =
        OwnerOnly.createTempDirectory("carryon-warm-up-");
    try {
      byte[] image = new byte[IMAGE_BYTES];
      for (int i = 0; i < image.length; i++) {
        image[i] = (byte) (i * 31 + (i >>> 8));
      }
      ChunkList list = ChunkList.of(image);
      Path chunks = folder.resolve("chunks");
      // First from the "carrier", then, with a store that holds nothing in memory, from its files.
      serveAndRead(image, list, ChunkStore.in(chunks, 4L * IMAGE_BYTES), folder.resolve("1.sock"));
      serveAndRead(image, list, ChunkStore.in(chunks, 4L * IMAGE_BYTES), folder.resolve("2.sock"));
    } finally {
      Folders.deleteTree(folder);
    }
  }

  private static void serveAndRead(byte[] image, ChunkList list, ChunkStore store, Path socket)
      throws IOException {
    VerifiedImage verified =
        new VerifiedImage(
            IMAGE, IMAGE, list,
            (name, offset, dst) -> {
              int n = (int) Math.min(dst.remaining(), image.length - offset);
              if (n <= 0) {
                return -1;
              }
              dst.put(image, (int) offset, n);
              return n;
            },
            store,
            problem -> {});
    try (NbdServer server = NbdServer.start(Map.of(IMAGE, verified), socket);
        NbdClient client = NbdClient.connect(server.socket(), IMAGE)) {
      // A qcow2 header, a refcount entry, a whole cluster, and a read across two chunks.
      expect(image, 0, client.read(0, 112));
      expect(image, 504, client.read(504, 8));
      expect(image, ChunkList.CHUNK_SIZE, client.read(ChunkList.CHUNK_SIZE, ChunkList.CHUNK_SIZE));
      expect(image, ChunkList.CHUNK_SIZE - 8, client.read(ChunkList.CHUNK_SIZE - 8, 16));
    }
  }

  private static void expect(byte[] image, int offset, ByteBuffer read) throws IOException {
    if (!ByteBuffer.wrap(image, offset, read.remaining()).equals(read)) {
      throw new IOException("the block server's warm-up read other bytes at " + offset);
    }
  }
}
