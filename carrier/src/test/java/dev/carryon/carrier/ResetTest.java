package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resets of carriers of real qcow2 images, and the manifest fields sync and reset added. */
class ResetTest {
  @TempDir Path dir;

  /** A carrier keeping 3 generations at generation 4: chain base, COW (L2 merged), L3, L4. */
  private Carrier carrierAt4() throws IOException {
    Carrier c = Fixtures.create(dir, 3, new TestClock(Instant.parse("2025-03-01T10:00:00Z")));
    for (long g = 1; g <= 3; g++) {
      Fixtures.session(c, Fixtures.HOME, g, dir.resolve("work"));
    }
    return c;
  }

  @Test
  void resetFoldsTheChainIntoTheBaseAndKeepsTheCurrentContent() throws IOException {
    try (Carrier c = carrierAt4()) {
      assertEquals(
          List.of("base.raw", "cow.qcow2", "layers/L3.qcow2", "layers/L4.qcow2"),
          c.current().chain());
      byte[] before = Images.read(Fixtures.file(c, c.current().top()));
      long cowSize = Files.size(Fixtures.file(c, "cow.qcow2"));
      byte[] state = Files.readAllBytes(Fixtures.file(c, "states/S4.zst"));
      FileRecord stateRecord = c.manifest().files().get("states/S4.zst");
      c.recordSync(record("/vm/a.qcow2", 4));
      c.recordSync(record("/vm/b.qcow2", 3));
      ResetResult r = c.reset();
      assertEquals(List.of(2L, 3L, 4L), r.dropped());
      assertEquals(List.of("cow.qcow2", "layers/L3.qcow2", "layers/L4.qcow2"), r.merged());
      assertEquals(5, r.generation().number());
      assertEquals(4L, r.generation().parent());
      assertEquals("states/S5.zst", r.generation().state());
      assertEquals(r.generation(), c.current());
      assertEquals(List.of("base.raw", "cow.qcow2"), c.current().chain());
      assertEquals(List.of(5L), c.checkpoints().stream().map(Generation::number).toList());
      assertArrayEquals(state, Files.readAllBytes(Fixtures.file(c, "states/S5.zst")));
      assertEquals(stateRecord, c.manifest().files().get("states/S5.zst"));
      // An image synced to 4 holds the content of 5; one synced to 3 still needs a full check.
      assertEquals(5, c.manifest().sync("host-home-1", "/vm/a.qcow2").orElseThrow().generation());
      assertEquals(3, c.manifest().sync("host-home-1", "/vm/b.qcow2").orElseThrow().generation());
      assertArrayEquals(before, Images.read(Fixtures.file(c, "cow.qcow2")));
      assertArrayEquals(before, Files.readAllBytes(Fixtures.file(c, "base.raw")));
      assertArrayEquals(before, Images.qemuRead(Fixtures.file(c, "cow.qcow2"), dir.resolve("scratch")));
      assertTrue(Files.size(Fixtures.file(c, "cow.qcow2")) < cowSize, "the COW is empty again");
      assertEquals(Set.of(), CarrierTest.filesIn(c, "layers"));
      assertEquals(Set.of("states/S5.zst"), CarrierTest.filesIn(c, "states"));
      assertEquals(Set.of(), CarrierTest.filesIn(c, "tmp"));
      assertEquals(List.of(), c.verify().problems());
      assertEquals(List.of(), c.verify().warnings());
      Images.run(0, "qemu-img", "check", Fixtures.file(c, "cow.qcow2").toString());
      assertNull(c.manifest().reset());
      // The next session continues from the reset generation.
      Fixtures.session(c, Fixtures.HOME, 5, dir.resolve("work"));
      assertEquals(6, c.current().number());
      assertArrayEquals(Fixtures.apply(before, 6), Images.read(Fixtures.file(c, c.current().top())));
    }
  }

  @Test
  void aResetOfAGenerationWithoutRamStateMakesOneWithoutEither() throws IOException {
    CarrierInit withState = Fixtures.init(dir.resolve("src"), 3);
    CarrierInit cold =
        new CarrierInit(
            withState.vm(), withState.base(), null, withState.kernel(), withState.initrd(), null,
            Fixtures.HOME, "s1", "init", 3);
    try (Carrier c =
        Carrier.create(Fixtures.storage(dir.resolve("carrier")), cold, Progress.NONE,
            new TestClock(Instant.parse("2025-03-01T10:00:00Z")))) {
      assertNull(c.current().state());
      byte[] before = Images.read(Fixtures.file(c, c.current().top()));
      ResetResult r = c.reset();
      assertEquals(2, r.generation().number());
      assertNull(r.generation().state(), "a reset cannot make up a RAM state");
      assertEquals(List.of(1L), r.dropped());
      assertEquals(r.generation(), c.current());
      assertEquals(Set.of(), CarrierTest.filesIn(c, "states"));
      assertEquals(List.of(), c.verify().problems());
      assertArrayEquals(before, Images.read(Fixtures.file(c, c.current().top())));
      assertArrayEquals(before, Images.qemuRead(Fixtures.file(c, c.current().top()), dir.resolve("scratch")));
    }
  }

  @Test
  void aCutResetIsRedoneAndALeftoverStateIsMadeAgain() throws IOException {
    byte[] before;
    byte[] state;
    Manifest pending;
    try (Carrier c = carrierAt4()) {
      before = Images.read(Fixtures.file(c, c.current().top()));
      state = Files.readAllBytes(Fixtures.file(c, "states/S4.zst"));
      List<String> chain = c.current().chain();
      pending =
          c.manifest()
              .withGenerations(4, List.of(c.current()), c.manifest().files())
              .withReset(new PendingReset(chain.get(0), chain.subList(1, chain.size())));
    }
    // What a reset cut after its first commit leaves, with a stray half-made state of 5.
    Path carrier = dir.resolve("carrier");
    Fixtures.commit(carrier, pending);
    Files.write(carrier.resolve("states/S5.zst"), new byte[] {1, 2, 3});
    try (Carrier c = Fixtures.openForWrite(carrier)) {
      assertNull(c.manifest().reset());
      assertEquals(5, c.current().number());
      assertEquals(List.of("base.raw", "cow.qcow2"), c.current().chain());
      assertArrayEquals(before, Images.read(Fixtures.file(c, "cow.qcow2")));
      assertArrayEquals(state, Files.readAllBytes(Fixtures.file(c, "states/S5.zst")));
      assertEquals(Set.of("states/S5.zst"), CarrierTest.filesIn(c, "states"));
      assertEquals(List.of(), c.verify().problems());
    }
  }

  @Test
  void resetAndRecordSyncRefuseWhileLeased() throws IOException {
    try (Carrier c = carrierAt4()) {
      c.takeLease(Fixtures.OFFICE, "busy");
      LeaseException e = assertThrows(LeaseException.class, c::reset);
      assertTrue(e.getMessage().contains("office-pc"), e.getMessage());
      assertThrows(LeaseException.class, () -> c.recordSync(record("/vm/a.qcow2", 4)));
      assertEquals(4, c.checkpoints().get(2).number());
    }
  }

  @Test
  void syncRecordsRoundTripAndReplaceEachOther() throws IOException {
    try (Carrier c = carrierAt4()) {
      c.recordSync(record("/vm/a.qcow2", 3));
      c.recordSync(record("/vm/b.qcow2", 4));
      c.recordSync(record("/vm/a.qcow2", 4));
    }
    Carrier read = Fixtures.open(dir.resolve("carrier"));
    assertEquals(2, read.manifest().syncs().size());
    assertEquals(4, read.manifest().sync("host-home-1", "/vm/a.qcow2").orElseThrow().generation());
    assertTrue(read.manifest().sync("other", "/vm/a.qcow2").isEmpty());
  }

  @Test
  void manifestsWithoutTheNewFieldsStillRead() throws IOException {
    try (Carrier c = carrierAt4()) {
      assertTrue(c.manifest().syncs().isEmpty());
    }
    Path file = dir.resolve("carrier").resolve(CarrierFiles.MANIFEST);
    String json = Files.readString(file);
    String old = json.replaceAll(",\\s*\"syncs\" : \\[ \\]", "").replaceAll(",\\s*\"reset\" : null", "");
    assertTrue(!old.contains("syncs") && !old.contains("\"reset\""), old);
    Manifest m = ManifestCodec.parse(old.getBytes(StandardCharsets.UTF_8), file.toString());
    assertEquals(List.of(), m.syncs());
    assertNull(m.reset());
  }

  @Test
  void badSyncRecordsAndResetsAreRefused() throws IOException {
    try (Carrier c = carrierAt4()) {
      c.recordSync(record("/vm/a.qcow2", 4));
    }
    Path file = dir.resolve("carrier").resolve(CarrierFiles.MANIFEST);
    String json = Files.readString(file);
    assertRefused(json.replace("\"generation\" : 4", "\"generation\" : 9"), "newer than the current");
    assertRefused(json.replace("\"/vm/a.qcow2\"", "\"vm/a.qcow2\""), "absolute path");
    assertRefused(json.replace("\"sample\" : \"", "\"sample\" : \"x"), "64 lowercase hex");
    assertRefused(json.replace("\"sample\" :", "\"extra\" : 1, \"sample\" :"), "unknown field");
    assertRefused(
        json.replace(
            "\"reset\" : null",
            "\"reset\" : {\"op\" : \"reset\", \"into\" : \"base.raw\", \"merge\" : [\"cow.qcow2\"]}"),
        "generations are kept");
    assertRefused(
        json.replace("\"reset\" : null", "\"reset\" : {\"op\" : \"shrink\"}"),
        "unknown reset operation");
  }

  private static void assertRefused(String json, String expected) {
    CarrierFormatException e =
        assertThrows(
            CarrierFormatException.class,
            () -> ManifestCodec.parse(json.getBytes(StandardCharsets.UTF_8), "m.json"));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static SyncRecord record(String image, long generation) {
    return new SyncRecord(
        "host-home-1", image, generation, Instant.parse("2025-03-02T10:00:00Z"), "0".repeat(64));
  }
}
