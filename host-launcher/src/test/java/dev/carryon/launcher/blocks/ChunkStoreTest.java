package dev.carryon.launcher.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierInit;
import dev.carryon.carrier.ChunkList;
import dev.carryon.carrier.HostIdentity;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.VmConfig;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.launcher.host.Pins;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.testdata.LockProbe;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk store kept to a size by the host cache's rule: chunks used least recently go first,
 * never one of a running session's chain (pinned and locked), and a pin whose session is gone
 * (its file no longer locked) protects nothing.
 */
class ChunkStoreTest {
  private static final int CHUNK = ChunkList.CHUNK_SIZE;

  @TempDir Path dir;

  @Test
  void keepsToItsSizeByLastUseButNeverTakesARunningSessionsChunks() throws Exception {
    byte[] disk = disk(8, 13);
    Path folder = dir.resolve("chunks");
    List<String> problems = new ArrayList<>();
    try (Carrier c = carrier(dir, disk)) {
      ChunkList base = c.chunkList("base.raw");
      ChunkStore store = ChunkStore.in(folder, 4L * CHUNK);
      VerifiedImage image =
          new VerifiedImage("base.raw", c.describe("base.raw"), base, c::readImage, store, problems::add);
      try (Pins.Pin running = store.pin("running-session", List.of(base))) {
        store.keepToLimit();
        for (int i = 0; i < 8; i++) {
          image.chunk(i);
          Thread.sleep(20); // distinct times of use
        }
        // Over its size, but every chunk is the running session's: none goes.
        assertEquals(names(base, 0, 1, 2, 3, 4, 5, 6, 7), held(folder));
        // The evictions of this process left its pin locked for the others.
        assertTrue(LockProbe.lockedByAnother(folder.resolve("pins").resolve("running-session")));
      }
      image.chunk(1); // used again: now among the most recent
      // A session that died without closing its pin: its file is there, but nobody locks it.
      ByteArrayOutputStream hashes = new ByteArrayOutputStream();
      for (int i = 0; i < base.count(); i++) {
        hashes.write(base.hashOf(i));
      }
      Path stale = Files.write(folder.resolve("pins").resolve("crashed-session"), hashes.toByteArray());

      ChunkStore.in(folder, 4L * CHUNK).keepToLimit();
      assertEquals(names(base, 1, 5, 6, 7), held(folder), "the 4 chunks used last stay");
      assertFalse(Files.exists(stale), "the dead session's pin was dropped");

      // Counted as it stores: past its size it evicts down to 90% of it, the oldest first.
      ChunkStore counting = ChunkStore.in(folder, 4L * CHUNK);
      counting.keepToLimit();
      VerifiedImage again =
          new VerifiedImage("base.raw", c.describe("base.raw"), base, c::readImage, counting, problems::add);
      Thread.sleep(20);
      again.chunk(0);
      assertEquals(
          names(base, 0, 1, 7), held(folder), "chunks 5 and 6, used least recently, went");
    }
    assertTrue(problems.isEmpty(), problems.toString());
  }

  @Test
  void aChunkTakenOutIsCheckedOnceThenServedFromMemoryUntilOthersPushItOut() throws Exception {
    Path folder = dir.resolve("chunks");
    ChunkStore store = ChunkStore.in(folder);
    byte[] chunk = disk(1, 3);
    byte[] hash = ChunkStore.sha256(chunk, chunk.length);
    store.put(hash, chunk, chunk.length);
    Path file = folder.resolve(Hex.of(hash));
    byte[] damaged = chunk.clone();
    damaged[100] ^= 1;
    Files.write(file, damaged);

    // This store checked it already: the verified bytes, not the file's.
    assertArrayEquals(chunk, store.get(hash));
    // Another process reads the file and checks it: damaged, so deleted and absent.
    assertNull(ChunkStore.in(folder).get(hash));
    assertFalse(Files.exists(file));

    store.put(hash, chunk, chunk.length);
    Files.write(file, damaged);
    for (int i = 0; i < ChunkStore.RECENT; i++) {
      byte[] other = disk(1, 100 + i);
      store.put(ChunkStore.sha256(other, other.length), other, other.length);
    }
    // Pushed out of memory by as many newer chunks: read from its file again, and refused.
    assertNull(store.get(hash));
    assertFalse(Files.exists(file));
  }

  private Set<String> held(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9a-f]{64}"))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static Set<String> names(ChunkList list, int... indexes) {
    Set<String> names = new TreeSet<>();
    for (int i : indexes) {
      names.add(Hex.of(list.hashOf(i)));
    }
    return names;
  }

  /** {@code chunks} chunks of random bytes from {@code seed}. */
  static byte[] disk(int chunks, long seed) {
    byte[] disk = new byte[chunks * CHUNK];
    new Random(seed).nextBytes(disk);
    return disk;
  }

  /** A carrier in {@code dir} whose base is {@code disk} (raw). */
  static Carrier carrier(Path dir, byte[] disk) throws IOException {
    Path src = Files.write(dir.resolve("disk.img"), disk);
    VmConfig vm =
        new VmConfig("pc-q35-7.2", "qemu64", 256, 1, "virtio-blk", null, null, "console=ttyS0", List.of());
    CarrierInit init =
        new CarrierInit(
            vm, src, null, null, null, null, new HostIdentity("host-1", "pc"), "s1", "init", 3);
    return Carrier.create(SessionKit.storage(dir.resolve("carrier")), init, Progress.NONE);
  }
}
