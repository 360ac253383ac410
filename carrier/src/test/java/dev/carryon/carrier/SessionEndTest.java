package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.storage.Hex;
import dev.carryon.cow.Qcow2Creator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The new layer of a session end: what copyLayer and the commit accept and refuse. */
class SessionEndTest {
  @TempDir Path dir;

  @AfterEach
  void close() throws IOException {
    carrier.close();
  }

  /** A carrier at generation 2 (chain base, COW, L2) whose lease session s3 holds. */
  private Carrier carrier;

  private SessionEnd end;

  @BeforeEach
  void endOfSession3() throws IOException {
    carrier = Fixtures.create(dir, 3, new TestClock(Instant.parse("2025-03-01T10:00:00Z")));
    Fixtures.session(carrier, Fixtures.HOME, 1, dir.resolve("work"));
    carrier.takeLease(Fixtures.OFFICE, "s3");
    end = carrier.beginEnd(Fixtures.OFFICE, "s3", 2);
  }

  @Test
  void theCopyNamesItsBackingRelativeToTheCarrierAndTheLocalCowIsUntouched() throws IOException {
    assertEquals("../layers/L2.qcow2", end.layerBackingName());
    Path local = Fixtures.localCow(carrier, 2, dir.resolve("local"), 3);
    byte[] before = Files.readAllBytes(local);
    end.copyLayer(local, Progress.NONE);
    assertArrayEquals(before, Files.readAllBytes(local));
    String info =
        Images.run(0, "qemu-img", "info", Fixtures.file(carrier, end.layerName()).toString());
    assertTrue(info.contains("\nbacking file: ../layers/L2.qcow2 ("), info);
    assertTrue(info.contains("\nbacking file format: qcow2\n"), info);
    end.coldBoot();
    carrier.commitGeneration(end, "");
    assertArrayEquals(
        Fixtures.apply(Fixtures.apply(Fixtures.baseContent(), 2), 3),
        Images.read(Fixtures.file(carrier, carrier.current().top())));
    assertEquals(List.of(), carrier.verify().problems());
  }

  @Test
  void refusesALocalCowOfAnotherImage() throws IOException {
    // An overlay of the COW, not of the resumed generation's top L2.
    Path local = dir.resolve("other.qcow2");
    Path cow = Fixtures.file(carrier, CarrierFiles.COW);
    Qcow2Creator.create(local, -1, cow.toString(), "qcow2");
    CarrierException e =
        assertThrows(CarrierException.class, () -> end.copyLayer(local, Progress.NONE));
    assertEquals(
        local
            + ": its backing file is "
            + cow
            + ", not "
            + Fixtures.file(carrier, "layers/L2.qcow2")
            + " (the image it must be an overlay of)",
        e.getMessage());
  }

  @Test
  void refusesALocalCowOfAnotherSize() throws IOException {
    Path local = dir.resolve("bigger.qcow2");
    Path top = Fixtures.file(carrier, "layers/L2.qcow2");
    Qcow2Creator.create(local, 2L * Fixtures.SIZE, top.toString(), "qcow2");
    CarrierException e =
        assertThrows(CarrierException.class, () -> end.copyLayer(local, Progress.NONE));
    assertEquals(
        local
            + ": virtual size "
            + 2 * Fixtures.SIZE
            + " differs from that of "
            + top
            + " ("
            + Fixtures.SIZE
            + ")",
        e.getMessage());
  }

  @Test
  void refusesALocalCowThatIsNoOverlay() throws IOException {
    Path raw = Files.write(dir.resolve("raw.img"), new byte[Fixtures.SIZE]);
    CarrierException e =
        assertThrows(CarrierException.class, () -> end.copyLayer(raw, Progress.NONE));
    assertEquals(
        raw + ": not a qcow2 image; expected a qcow2 overlay of " + Fixtures.file(carrier, "layers/L2.qcow2"),
        e.getMessage());
    Path alone = dir.resolve("alone.qcow2");
    Qcow2Creator.create(alone, Fixtures.SIZE, null, null);
    e = assertThrows(CarrierException.class, () -> end.copyLayer(alone, Progress.NONE));
    assertEquals(
        alone
            + ": has no backing file; expected a qcow2 overlay of "
            + Fixtures.file(carrier, "layers/L2.qcow2"),
        e.getMessage());
    Path missing = dir.resolve("missing.qcow2");
    e = assertThrows(CarrierException.class, () -> end.copyLayer(missing, Progress.NONE));
    assertEquals(
        missing + ": no such file (the overlay of " + Fixtures.file(carrier, "layers/L2.qcow2") + ")",
        e.getMessage());
  }

  @Test
  void theCommitRefusesALayerWhoseCopyNamesAHostPathAsItsBacking() throws IOException {
    Path top = Fixtures.file(carrier, "layers/L2.qcow2");
    end.copyLayer(Fixtures.localCow(carrier, 2, dir.resolve("local"), 3), Progress.NONE);
    // The carrier's copy changed after the upload back to a name valid on this host only.
    CarrierImages.rebase(carrier.storage(), end.layerName(), top.toString(), "qcow2");
    end.coldBoot();
    CarrierException e =
        assertThrows(CarrierException.class, () -> carrier.commitGeneration(end, ""));
    assertEquals(
        Fixtures.file(carrier, end.layerName())
            + ": refusing the new layer: backing file '"
            + top
            + "' recorded, '../layers/L2.qcow2' expected",
        e.getMessage());
    assertEquals(2, carrier.current().number());
    assertEquals("s3", carrier.manifest().lease().sessionId());
  }

  @Test
  void theCommitNamesTheLayersChunkListWrittenAheadAndMakesNoOtherForIt() throws IOException {
    end.copyLayer(Fixtures.localCow(carrier, 2, dir.resolve("local"), 3), Progress.NONE);
    end.listLayer();
    String ahead = end.layerList();
    Path list = Fixtures.file(carrier, ChunkLists.fileOf(ahead));
    assertTrue(Files.isRegularFile(list), list + " is written before the commit");
    Object written = fileKey(list);
    end.coldBoot();
    carrier.commitGeneration(end, "");
    assertEquals(ahead, carrier.manifest().chunks().byImage().get("layers/L3.qcow2"));
    ChunkList committed =
        ChunkListStore.hash(
                carrier.storage(), "layers/L3.qcow2", end.layerRecord(), ChunkList.CHUNK_SIZE)
            .list();
    assertEquals(ahead, Hex.sha256(committed.encode()), "the list written ahead is the layer's");
    // A list made again would have been renamed over it: another inode.
    assertEquals(written, fileKey(list), "the commit made no list of the layer again");
    assertEquals(List.of(), carrier.verify().problems());
  }

  @Test
  void aChunkListWrittenAheadOfACommitThatNeverCameIsDeletedByTheNextWriter() throws IOException {
    end.copyLayer(Fixtures.localCow(carrier, 2, dir.resolve("local"), 3), Progress.NONE);
    end.listLayer();
    Path list = Fixtures.file(carrier, ChunkLists.fileOf(end.layerList()));
    Path folder = Fixtures.folder(carrier);
    carrier.close();
    carrier = Fixtures.openForWrite(folder);
    assertTrue(Files.notExists(list), list + " is named by no manifest");
    assertEquals(List.of(), carrier.verify().problems());
  }

  @Test
  void aLayerCopiedAgainIsListedAgain() throws IOException {
    Path local = Fixtures.localCow(carrier, 2, dir.resolve("local"), 3);
    end.copyLayer(local, Progress.NONE);
    end.listLayer();
    end.copyLayer(local, Progress.NONE);
    assertEquals(null, end.layerList(), "a list of an earlier copy is never committed");
  }

  private static Object fileKey(Path file) throws IOException {
    return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
  }
}
