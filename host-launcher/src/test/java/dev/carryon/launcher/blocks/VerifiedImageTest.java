package dev.carryon.launcher.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.ChunkList;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads through the chunk lists: a read across chunks the store lacks is one read of the carrier
 * per run of missing chunks (one round trip over a link), each chunk still checked on its own.
 */
class VerifiedImageTest {
  private static final int CHUNK = ChunkList.CHUNK_SIZE;

  @TempDir Path dir;

  @Test
  void aReadAcrossMissingChunksIsOneCarrierReadPerRunAndEachChunkIsChecked() throws Exception {
    byte[] disk = ChunkStoreTest.disk(40, 7);
    try (Carrier c = ChunkStoreTest.carrier(dir, disk)) {
      ChunkList list = c.chunkList("base.raw");
      ChunkStore store = ChunkStore.in(dir.resolve("chunks"));
      List<long[]> reads = new ArrayList<>();
      boolean[] corrupt = {false};
      ImageReader carrier =
          (image, offset, dst) -> {
            reads.add(new long[] {offset, dst.remaining()});
            int n = c.readImage(image, offset, dst);
            if (corrupt[0]) {
              dst.put(dst.position() - 1, (byte) ~dst.get(dst.position() - 1));
            }
            return n;
          };
      List<String> problems = new ArrayList<>();
      VerifiedImage image =
          new VerifiedImage("base.raw", c.describe("base.raw"), list, carrier, store, problems::add);
      image.chunk(2); // kept: the read below has two runs around it
      reads.clear();

      byte[] got = new byte[4 * CHUNK];
      image.read(CHUNK / 2, got, 0, got.length); // chunks 0 to 4
      assertArrayEquals(Arrays.copyOfRange(disk, CHUNK / 2, CHUNK / 2 + got.length), got);
      assertEquals(2, reads.size(), "chunks 0-1 and 3-4, chunk 2 from the store");
      assertArrayEquals(new long[] {0, 2L * CHUNK}, reads.get(0));
      assertArrayEquals(new long[] {3L * CHUNK, 2L * CHUNK}, reads.get(1));

      // A run is at most 1 MiB: the keeper's heap is small.
      reads.clear();
      ByteBuffer big = ByteBuffer.allocate(20 * CHUNK);
      image.read(big, 10L * CHUNK);
      assertArrayEquals(Arrays.copyOfRange(disk, 10 * CHUNK, 30 * CHUNK), big.array());
      assertEquals(2, reads.size());
      assertEquals(16L * CHUNK, reads.get(0)[1]);

      // The last byte of a run is damaged: the run's good chunks are kept, the read fails.
      reads.clear();
      corrupt[0] = true;
      assertThrows(ChunkMismatchException.class, () -> image.read(32L * CHUNK, new byte[3 * CHUNK], 0, 3 * CHUNK));
      assertEquals(1, reads.size());
      assertEquals(1, problems.size());
      assertTrue(problems.get(0).contains("the chunk at offset " + 34L * CHUNK), problems.get(0));
      assertTrue(store.has(list.hashOf(32)) && store.has(list.hashOf(33)));
      assertTrue(!store.has(list.hashOf(34)), "the bad chunk is not kept");
    }
  }
}
