package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.Qcow2Creator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A carrier reached only through the storage primitives, as a carrier behind HTTP is ({@link
 * WithoutLocalFiles}): it is made, checked, run from local copies and ended exactly as a folder.
 */
class RemoteCarrierTest {
  @TempDir Path dir;

  /** Copies carrier files into a folder under their carrier names: a stand-in for a host cache. */
  private final List<String> copied = new ArrayList<>();

  private LocalCopies copiesIn(Path folder) {
    return (storage, name, record, progress) -> {
      Path copy = folder.resolve(name);
      Files.createDirectories(copy.getParent());
      try (InputStream in = storage.openRead(name, 0)) {
        Files.copy(in, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      byte[] bytes = Files.readAllBytes(copy);
      assertEquals(record, new FileRecord(bytes.length, Hex.sha256(bytes)), name);
      copied.add(name);
      return copy;
    };
  }

  /**
   * Keeping one generation, the end merges its layer into the COW at once (cow-merge over the
   * storage's primitives), and a reset folds the COW into the base the same way.
   */
  @Test
  void aCarrierWithoutLocalFilesIsMadeCheckedRunFromCopiesEndedAndReset() throws IOException {
    CarrierStorage remote = new WithoutLocalFiles(FolderStorage.of(dir.resolve("carrier")));
    TestClock clock = new TestClock(Instant.parse("2025-03-01T10:00:00Z"));
    byte[] disk = Fixtures.apply(Fixtures.baseContent(), 2);
    try (Carrier c =
        Carrier.create(remote, Fixtures.init(dir.resolve("src"), 1), Progress.NONE, clock)) {
      assertEquals(List.of(), c.verify().problems());
      CarrierException e =
          assertThrows(
              CarrierException.class,
              () -> c.localFiles(c.current(), LocalCopies.NONE, Progress.NONE));
      assertTrue(e.getMessage().contains("not a local folder"), e.getMessage());

      // A session on a host that fetched generation 1 into its cache and ran QEMU from there.
      LocalFiles files = c.localFiles(c.current(), copiesIn(dir.resolve("cache1")), Progress.NONE);
      assertEquals(List.of("base.raw", "cow.qcow2", "vmlinuz", "initrd.img"), copied);
      Path local = dir.resolve("local.qcow2");
      Qcow2Creator.create(local, -1, files.top().toString(), "qcow2");
      Images.write(local, Fixtures.writes(2));
      c.takeLease(Fixtures.OFFICE, "s2");
      SessionEnd end = c.beginEnd(Fixtures.OFFICE, "s2", 1);
      end.copyLayer(local, Progress.NONE);
      end.copyState(Files.write(dir.resolve("state"), Fixtures.stateBytes(2)), Progress.NONE);
      EndResult r = c.commitGeneration(end, "");
      assertEquals(2, r.generation().number());
      assertEquals(List.of("layers/L2.qcow2"), r.merged());
      assertEquals(List.of("base.raw", "cow.qcow2"), r.generation().chain());
      assertEquals(List.of(), c.verify().problems());
      assertArrayEquals(disk, read(c, r.generation().chain()));

      LocalFiles next = c.localFiles(r.generation(), copiesIn(dir.resolve("cache2")), Progress.NONE);
      assertArrayEquals(disk, Images.qemuRead(next.top(), dir.resolve("scratch")));
      try (InputStream state = c.openFile(r.generation().state())) {
        assertArrayEquals(Fixtures.stateBytes(2), state.readAllBytes());
      }

      ResetResult reset = c.reset();
      assertEquals(3, reset.generation().number());
      assertEquals(List.of("cow.qcow2"), reset.merged());
      assertEquals(List.of(), c.verify().problems());
      assertArrayEquals(disk, read(c, List.of("base.raw")));
      assertArrayEquals(disk, read(c, reset.generation().chain()));
    }
    // What was written through the primitives is what qemu-img reads from the files.
    Path folder = dir.resolve("carrier");
    assertArrayEquals(disk, Files.readAllBytes(folder.resolve("base.raw")));
    Images.run(0, "qemu-img", "check", folder.resolve("cow.qcow2").toString());
  }

  /**
   * An end's merge of a layer into the COW and a reset through the primitives (each read one
   * request to a carrier behind HTTP without server-side merges) read clusters that lie side by side
   * in the file as one request, though the guest has them apart: 8 clusters at every other guest
   * cluster, written in guest order, so next to each other in the layer and in the COW.
   */
  @Test
  void mergesThroughThePrimitivesReadNeighbouringClustersInOneRequest() throws IOException {
    WithoutLocalFiles remote = new WithoutLocalFiles(FolderStorage.of(dir.resolve("carrier")));
    List<Images.Write> writes = new ArrayList<>();
    for (int k = 0; k < Fixtures.SIZE / Fixtures.CLUSTER; k += 2) {
      writes.add(new Images.Write((long) k * Fixtures.CLUSTER, Fixtures.CLUSTER, (byte) (k + 1)));
    }
    byte[] disk = Images.apply(Fixtures.baseContent(), writes);
    try (Carrier c =
        Carrier.create(
            remote,
            Fixtures.init(dir.resolve("src"), 1),
            Progress.NONE,
            new TestClock(Instant.parse("2025-03-01T10:00:00Z")))) {
      LocalFiles files = c.localFiles(c.current(), copiesIn(dir.resolve("cache1")), Progress.NONE);
      Path local = dir.resolve("local.qcow2");
      Qcow2Creator.create(local, -1, files.top().toString(), "qcow2");
      Images.write(local, writes);
      c.takeLease(Fixtures.OFFICE, "s2");
      SessionEnd end = c.beginEnd(Fixtures.OFFICE, "s2", 1);
      end.copyLayer(local, Progress.NONE);
      end.copyState(Files.write(dir.resolve("state"), Fixtures.stateBytes(2)), Progress.NONE);
      remote.bigReads.clear();
      assertEquals(List.of("layers/L2.qcow2"), c.commitGeneration(end, "").merged());
      // Its L2 table, then the 8 clusters in at most 4 reads (a read carries 256 KiB at most);
      // one request per cluster would be 8.
      long layerReads = remote.bigReads.get("layers/L2.qcow2").get();
      assertTrue(layerReads <= 1 + 4, layerReads + " reads of a cluster or more");
      remote.bigReads.clear();
      c.reset();
      long cowReads = remote.bigReads.get("cow.qcow2").get();
      assertTrue(cowReads <= 1 + 4, cowReads + " reads of a cluster or more");
      assertArrayEquals(disk, read(c, List.of("base.raw")));
    }
  }

  /** The guest-visible disk of {@code chain} read through {@link Carrier#openChain}. */
  private static byte[] read(Carrier c, List<String> chain) throws IOException {
    try (ImageChain images = c.openChain(chain)) {
      ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(images.virtualSize()));
      images.read(b, 0);
      return b.array();
    }
  }
}
