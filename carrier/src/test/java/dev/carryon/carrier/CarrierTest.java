package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.keys.KeySlots;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CarrierTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

  @TempDir Path dir;
  private final TestClock clock = new TestClock(T0);

  /** Expected guest-visible disk content per generation number. */
  private final Map<Long, byte[]> content = new HashMap<>(Map.of(1L, Fixtures.baseContent()));

  @Test
  void createCopiesEverythingAndOpensAgain() throws IOException {
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      Generation g = c.current();
      assertEquals(1, g.number());
      assertEquals(List.of("base.raw", "cow.qcow2"), g.chain());
      assertEquals("states/S1.zst", g.state());
      assertEquals("vmlinuz", c.manifest().vm().kernel());
      assertEquals("initrd.img", c.manifest().vm().initrd());
      assertEquals(3, c.manifest().keep());
      assertNull(c.manifest().lease());
    }
    Carrier c = Fixtures.open(dir.resolve("carrier"));
    assertEquals(new Verification(List.of(), List.of()), c.verify());
    assertArrayEquals(Fixtures.baseContent(), Images.read(Fixtures.file(c, c.current().top())));
    assertArrayEquals(Fixtures.stateBytes(1), Files.readAllBytes(Fixtures.stateFile(c, c.current())));
    assertEquals(Set.of(), filesIn(c, "tmp"));
  }

  @Test
  void createRefusesAnExistingCarrier() throws IOException {
    Fixtures.create(dir, 3, clock).close();
    CarrierException e =
        assertThrows(
            CarrierException.class,
            () ->
                Carrier.create(Fixtures.storage(dir.resolve("carrier")), Fixtures.init(dir.resolve("src2"), 3), Progress.NONE));
    assertTrue(e.getMessage().contains("already a carrier"), e.getMessage());
  }

  @Test
  void openRefusesAFolderWithoutManifest() throws IOException {
    Files.createDirectories(dir.resolve("empty"));
    CarrierException e =
        assertThrows(CarrierException.class, () -> Fixtures.open(dir.resolve("empty")));
    assertEquals(dir.resolve("empty") + ": not a carrier (no carryon.json)", e.getMessage());
  }

  @Test
  void verifyReportsEachDamagedFileByName() throws IOException {
    Fixtures.create(dir, 3, clock).close();
    Path carrier = dir.resolve("carrier");
    // Opened first: a file missing at open is refused by the manifest check (next test).
    Carrier c = Fixtures.open(carrier);
    try (RandomAccessFile f = new RandomAccessFile(carrier.resolve("base.raw").toFile(), "rw")) {
      f.seek(100);
      int b = f.read();
      f.seek(100);
      f.write(b ^ 0x01);
    }
    try (RandomAccessFile f =
        new RandomAccessFile(carrier.resolve("states/S1.zst").toFile(), "rw")) {
      f.setLength(5);
    }
    Files.delete(carrier.resolve("initrd.img"));
    Map<String, String> problems =
        c.verify().problems().stream()
            .collect(Collectors.toMap(FileProblem::file, FileProblem::problem));
    assertEquals(Set.of("base.raw", "states/S1.zst", "initrd.img"), problems.keySet());
    assertTrue(problems.get("base.raw").startsWith("SHA-256 "), problems.get("base.raw"));
    assertEquals(
        "size " + Fixtures.stateBytes(1).length + " recorded, 5 found",
        problems.get("states/S1.zst"));
    assertEquals("does not exist", problems.get("initrd.img"));
    assertEquals(
        List.of(new FileProblem("base.raw", problems.get("base.raw"))),
        c.verify(c.current(), Progress.NONE).problems().subList(0, 1));
  }

  @Test
  void anOpenToReadHandsOverItsManifestBeforeItLooksForTheFilesItNames() throws IOException {
    Fixtures.create(dir, 3, clock).close();
    WithoutLocalFiles storage = new WithoutLocalFiles(Fixtures.storage(dir.resolve("carrier")));
    List<Long> listingsWhenHanded = new ArrayList<>();
    Carrier c = Carrier.openUnproven(storage, m -> {
      assertEquals("states/S1.zst", m.current().state());
      listingsWhenHanded.add(storage.listings.get());
    });
    assertEquals(List.of(0L), listingsWhenHanded);
    assertTrue(storage.listings.get() > 0, "the files were looked for after");
    assertEquals(1, c.current().number());

    // Handed over, and still refused when a file it names is missing.
    Files.delete(dir.resolve("carrier/vmlinuz"));
    listingsWhenHanded.clear();
    CarrierFormatException e =
        assertThrows(CarrierFormatException.class, () -> Carrier.openUnproven(storage, m -> listingsWhenHanded.add(0L)));
    assertEquals(CarrierFormatException.Kind.MISSING_FILE, e.kind());
    assertFalse(listingsWhenHanded.isEmpty());
  }

  @Test
  void anOpenLearnsWhetherTheCarrierIsEncryptedFromTheListingItMakesAnyway() throws IOException {
    Fixtures.create(dir, 3, clock).close();
    WithoutLocalFiles storage = new WithoutLocalFiles(Fixtures.storage(dir.resolve("carrier")));
    Carrier read = Carrier.open(storage);
    long listings = storage.listings.get();
    try (Carrier writing = read.forWrite("test")) {
      assertEquals(1, writing.current().number());
    }
    assertTrue(storage.listings.get() > listings, "read again under the lock");
    // No question of its own for the key slots, over a link a request each time.
    assertNull(storage.sized.get(KeySlots.FILE));
    assertTrue(read.diskSecret().isEmpty(), "a plain carrier");
  }

  @Test
  void aChunkListIsReadOnceForAReadAndTheOpenForWriteAfterIt() throws IOException {
    Fixtures.create(dir, 3, clock).close();
    WithoutLocalFiles storage = new WithoutLocalFiles(Fixtures.storage(dir.resolve("carrier")));
    Carrier read = Carrier.open(storage);
    String image = read.current().chain().get(1);
    String file = ChunkLists.fileOf(read.manifest().chunks().byImage().get(image));
    ChunkList first = read.chunkList(image);
    assertEquals(first, read.chunkList(image));
    try (Carrier writing = read.forWrite("test")) {
      assertEquals(first, writing.chunkList(image));
    }
    assertEquals(1, storage.opened.get(file).get());
    // A carrier opened on its own reads it for itself.
    assertEquals(first, Carrier.open(storage).chunkList(image));
    assertEquals(2, storage.opened.get(file).get());
  }

  @Test
  void openRefusesAManifestReferencingAMissingFile() throws IOException {
    Fixtures.create(dir, 3, clock).close();
    Files.delete(dir.resolve("carrier/vmlinuz"));
    CarrierFormatException e =
        assertThrows(CarrierFormatException.class, () -> Fixtures.open(dir.resolve("carrier")));
    assertEquals(CarrierFormatException.Kind.MISSING_FILE, e.kind());
    assertEquals(
        dir.resolve("carrier/carryon.json")
            + ": references vmlinuz, which does not exist in "
            + dir.resolve("carrier"),
        e.getMessage());
  }

  @Test
  void leaseIsRefusedNamingTheHolderAndCanBeBroken() throws IOException {
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      c.takeLease(Fixtures.HOME, "s2");
      assertEquals(Fixtures.HOME.hostId(), c.manifest().lease().hostId());
      // Taking it again for the same session is a no-op.
      c.takeLease(Fixtures.HOME, "s2");
    }
    try (Carrier c = Fixtures.openForWrite(dir.resolve("carrier"))) {
      LeaseException e =
          assertThrows(LeaseException.class, () -> c.takeLease(Fixtures.OFFICE, "s9"));
      assertTrue(e.getMessage().contains("home-pc"), e.getMessage());
      assertTrue(e.getMessage().contains("session s2"), e.getMessage());
      assertTrue(e.getMessage().contains("since " + T0), e.getMessage());
      assertEquals("s2", e.holder().sessionId());
      assertThrows(LeaseException.class, () -> c.releaseLease(Fixtures.OFFICE, "s9"));
      assertThrows(LeaseException.class, () -> c.beginEnd(Fixtures.OFFICE, "s9", 1));

      Lease broken = c.breakLease();
      assertEquals("s2", broken.sessionId());
      assertNull(c.manifest().lease());
      c.takeLease(Fixtures.OFFICE, "s9");
    }
    Carrier reread = Fixtures.open(dir.resolve("carrier"));
    assertEquals("office-pc", reread.manifest().lease().hostName());
  }

  @Test
  void endNeedsTheLease() throws IOException {
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      LeaseException e =
          assertThrows(LeaseException.class, () -> c.beginEnd(Fixtures.HOME, "s2", 1));
      assertTrue(e.getMessage().contains("holds no lease"), e.getMessage());
      c.takeLease(Fixtures.HOME, "s2");
      SessionEnd end = c.beginEnd(Fixtures.HOME, "s2", 1);
      c.breakLease();
      c.takeLease(Fixtures.OFFICE, "s3");
      assertThrows(LeaseException.class, () -> c.commitGeneration(end, "late"));
      assertEquals(1, c.current().number());
    }
  }

  @Test
  void aReadOnlyCarrierRefusesWritesAndASecondWriterIsRefused() throws IOException {
    Fixtures.create(dir, 3, clock).close();
    Carrier ro = Fixtures.open(dir.resolve("carrier"));
    assertThrows(IllegalStateException.class, () -> ro.takeLease(Fixtures.HOME, "s"));
    try (Carrier w = Fixtures.openForWrite(dir.resolve("carrier"))) {
      CarrierBusyException e =
          assertThrows(
              CarrierBusyException.class, () -> Fixtures.openForWrite(dir.resolve("carrier")));
      assertTrue(
          e.getMessage()
              .startsWith(
                  dir.resolve("carrier")
                      + ": in use by another carryon command (carrier test, pid "
                      + ProcessHandle.current().pid()
                      + " on "),
          e.getMessage());
    }
  }

  @Test
  void aCommitOverAManifestChangedMeanwhileIsRefusedAndOverwritesNothing() throws IOException {
    Fixtures.create(dir, 3, clock).close();
    Path carrier = dir.resolve("carrier");
    try (Carrier stale = Fixtures.openForWrite(carrier)) {
      // Another host committed while this one held the lock (a remote lock that expired).
      Manifest other = stale.manifest().withLease(new Lease("h9", "other-pc", "s9", T0));
      Fixtures.commit(carrier, other);
      CarrierBusyException e =
          assertThrows(CarrierBusyException.class, () -> stale.takeLease(Fixtures.HOME, "s2"));
      assertTrue(e.getMessage().contains("another command committed"), e.getMessage());
      assertEquals(other, Fixtures.open(carrier).manifest());
    }
  }

  @Test
  void keepsTheNewestCheckpointsAndMergesTheOldestLayer() throws IOException {
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      for (long g = 2; g <= 5; g++) {
        clock.advance(Duration.ofHours(1));
        EndResult r = Fixtures.session(c, Fixtures.HOME, g - 1, dir.resolve("work"));
        content.put(g, Fixtures.apply(content.get(g - 1), g));
        assertEquals(g, r.generation().number());
        assertEquals(List.of(), r.abandoned());
        assertEquals(g >= 4 ? List.of(g - 3) : List.of(), r.retired());
        assertEquals(g >= 4 ? List.of("layers/L" + (g - 2) + ".qcow2") : List.of(), r.merged());
        assertNull(c.manifest().lease());
      }
      assertEquals(List.of(3L, 4L, 5L), numbers(c.checkpoints()));
      assertEquals(List.of("base.raw", "cow.qcow2"), c.checkpoint(3).chain());
      assertEquals(
          List.of("base.raw", "cow.qcow2", "layers/L4.qcow2", "layers/L5.qcow2"),
          c.checkpoint(5).chain());
      assertKeptContent(c);
      assertEquals(Set.of("layers/L4.qcow2", "layers/L5.qcow2"), filesIn(c, "layers"));
      assertEquals(Set.of("states/S3.zst", "states/S4.zst", "states/S5.zst"), filesIn(c, "states"));
      assertEquals(new Verification(List.of(), List.of()), c.verify());
    }
  }

  @Test
  void choosesCheckpointsByGenerationAndDate() throws IOException {
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      for (long g = 2; g <= 4; g++) {
        clock.advance(Duration.ofDays(1));
        Fixtures.session(c, Fixtures.HOME, g - 1, dir.resolve("work"));
      }
      // Kept: 2 (T0+1d), 3 (T0+2d), 4 (T0+3d).
      assertEquals(3, c.checkpoint(3).number());
      CarrierException notKept = assertThrows(CarrierException.class, () -> c.checkpoint(1));
      assertTrue(
          notKept.getMessage().endsWith("generation 1 is not kept (kept: 2, 3, 4)"),
          notKept.getMessage());
      assertEquals(3, c.checkpointAt(T0.plus(Duration.ofDays(2))).number());
      assertEquals(3, c.checkpointAt(T0.plus(Duration.ofDays(2)).plusSeconds(3600)).number());
      assertEquals(4, c.checkpointAt(T0.plus(Duration.ofDays(30))).number());
      CarrierException tooEarly =
          assertThrows(CarrierException.class, () -> c.checkpointAt(T0.plus(Duration.ofHours(1))));
      assertTrue(
          tooEarly.getMessage().contains("no checkpoint at or before"), tooEarly.getMessage());
    }
  }

  @Test
  void resumingAnOlderCheckpointDropsTheNewerBranch() throws IOException {
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      for (long g = 2; g <= 4; g++) {
        Fixtures.session(c, Fixtures.HOME, g - 1, dir.resolve("work"));
        content.put(g, Fixtures.apply(content.get(g - 1), g));
      }
      // Kept 2, 3, 4 (L2 merged into the COW when 1 retired). A session resumes 3 on the office
      // PC and ends: 5 (parent 3) drops 4.
      EndResult r = Fixtures.session(c, Fixtures.OFFICE, 3, dir.resolve("work"));
      content.put(5L, Fixtures.apply(content.get(3L), 5));
      assertEquals(5, r.generation().number());
      assertEquals(3L, r.generation().parent());
      assertEquals(List.of(4L), r.abandoned());
      assertEquals(List.of(), r.retired());
      assertEquals(List.of(2L, 3L, 5L), numbers(c.checkpoints()));
      assertKeptContent(c);
      assertEquals(Set.of("layers/L3.qcow2", "layers/L5.qcow2"), filesIn(c, "layers"));

      // Resuming 2 then drops 3 and 5; 6's line is 6, 2 (1 is long gone).
      r = Fixtures.session(c, Fixtures.HOME, 2, dir.resolve("work"));
      content.put(6L, Fixtures.apply(content.get(2L), 6));
      assertEquals(List.of(3L, 5L), r.abandoned());
      assertEquals(List.of(2L, 6L), numbers(c.checkpoints()));
      assertEquals(List.of(), r.merged());
      assertEquals(List.of("base.raw", "cow.qcow2", "layers/L6.qcow2"), c.current().chain());
      assertKeptContent(c);
      assertEquals(Set.of("layers/L6.qcow2"), filesIn(c, "layers"));
      assertEquals(Set.of("states/S2.zst", "states/S6.zst"), filesIn(c, "states"));
      assertEquals(new Verification(List.of(), List.of()), c.verify());
    }
  }

  @Test
  void aColdBootEndHasNoState() throws IOException {
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      c.takeLease(Fixtures.HOME, "s2");
      SessionEnd end = c.beginEnd(Fixtures.HOME, "s2", 1);
      end.copyLayer(Fixtures.localCow(c, 1, dir.resolve("work"), 2), Progress.NONE);
      end.coldBoot();
      EndResult r = c.commitGeneration(end, "shut down");
      assertTrue(r.generation().coldBoot());
      assertNull(Fixtures.stateFile(c, r.generation()));
      assertEquals(new Verification(List.of(), List.of()), c.verify());
    }
  }

  @Test
  void openForWriteDeletesLeftoversOfACutEnd() throws IOException {
    Path carrier;
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      carrier = Fixtures.folder(c);
    }
    Files.writeString(carrier.resolve("tmp/L2.qcow2"), "half a layer");
    Files.writeString(carrier.resolve("tmp/carryon.json.new"), "{\"format\"");
    Files.writeString(carrier.resolve("layers/L2.qcow2"), "moved, never committed");
    Files.writeString(carrier.resolve("states/S2.zst"), "moved, never committed");
    try (Carrier c = Fixtures.openForWrite(carrier)) {
      assertEquals(Set.of(), filesIn(c, "tmp"));
      assertEquals(Set.of(), filesIn(c, "layers"));
      assertEquals(Set.of("states/S1.zst"), filesIn(c, "states"));
      assertEquals(1, c.current().number());
    }
  }

  @Test
  void openForWriteFinishesAPendingMergeButNeverMergesADamagedLayer() throws IOException {
    Path carrier;
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      Fixtures.session(c, Fixtures.HOME, 1, dir.resolve("work"));
      carrier = Fixtures.folder(c);
      // What a cut leaves after committing "generation 1 dropped, merge L2 pending".
      Manifest m = c.manifest();
      Fixtures.commit(
          carrier,
          m.withGenerations(2, List.of(m.current()), m.files())
              .withPending(new PendingMerge("layers/L2.qcow2", "cow.qcow2", null)));
    }
    byte[] cow = Files.readAllBytes(carrier.resolve("cow.qcow2"));
    byte[] layer = Files.readAllBytes(carrier.resolve("layers/L2.qcow2"));
    byte[] damaged = layer.clone();
    damaged[damaged.length - 1] ^= 0x40;
    Files.write(carrier.resolve("layers/L2.qcow2"), damaged);
    CarrierException e = assertThrows(CarrierException.class, () -> Fixtures.openForWrite(carrier));
    assertTrue(
        e.getMessage().startsWith(carrier.resolve("layers/L2.qcow2") + ": does not match"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("refusing to merge it into cow.qcow2"), e.getMessage());
    assertArrayEquals(cow, Files.readAllBytes(carrier.resolve("cow.qcow2")));

    Files.write(carrier.resolve("layers/L2.qcow2"), layer);
    try (Carrier c = Fixtures.openForWrite(carrier)) {
      assertNull(c.manifest().pending());
      assertEquals(List.of("base.raw", "cow.qcow2"), c.current().chain());
      assertArrayEquals(
          Fixtures.apply(Fixtures.baseContent(), 2), Images.read(Fixtures.file(c, c.current().top())));
      assertEquals(Set.of(), filesIn(c, "layers"));
      assertEquals(Set.of("states/S2.zst"), filesIn(c, "states"));
      assertEquals(new Verification(List.of(), List.of()), c.verify());
    }
  }

  @Test
  void aReaderTakesNoLockAndSeesWholeManifestsWhileAWriterCommits() throws Exception {
    Path carrier;
    try (Carrier c = Fixtures.create(dir, 1, clock)) {
      carrier = Fixtures.folder(c);
    }
    AtomicBoolean done = new AtomicBoolean();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    List<Long> seen = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              while (!done.get()) {
                try {
                  seen.add(Fixtures.open(carrier).current().number());
                } catch (Throwable t) {
                  failures.add(t);
                }
              }
            });
    reader.start();
    // keep 1: every end commits three manifests and deletes the layer and state it replaces.
    try (Carrier c = Fixtures.openForWrite(carrier)) {
      for (long g = 2; g <= 7; g++) {
        Fixtures.session(c, Fixtures.HOME, g - 1, dir.resolve("work"));
      }
    } finally {
      done.set(true);
      reader.join();
    }
    assertEquals(List.of(), failures);
    assertTrue(seen.size() > 6, seen.size() + " reads");
    for (int i = 1; i < seen.size(); i++) {
      assertTrue(seen.get(i - 1) <= seen.get(i), "generations read in order: " + seen);
    }
  }

  /** Every kept generation's chain reads as expected, and its state is its own. */
  private void assertKeptContent(Carrier c) throws IOException {
    for (Generation g : c.checkpoints()) {
      assertArrayEquals(
          content.get(g.number()),
          Images.read(Fixtures.file(c, g.top())),
          "content of generation " + g.number());
      assertArrayEquals(Fixtures.stateBytes(g.number()), Files.readAllBytes(Fixtures.stateFile(c, g)));
    }
  }

  static List<Long> numbers(List<Generation> gs) {
    return gs.stream().map(Generation::number).toList();
  }

  /** Carrier names of the files in one of its folders. */
  static Set<String> filesIn(Carrier c, String folder) throws IOException {
    try (Stream<Path> s = Files.list(Fixtures.file(c, folder))) {
      return s.map(p -> folder + "/" + p.getFileName())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }
}
