package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.testdata.FileTrees;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunk lists of carrier images: made by init, by every session end, merge and reset, and by the
 * first write-open of a carrier from before them; always matching the images' bytes; checked by
 * verify; malformed lists refused.
 */
class ChunkListTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where the manifests refused here say they were read from. */
  private static final String SOURCE = "/c/carryon.json";

  @TempDir Path dir;

  private Carrier create(int keep) throws IOException {
    return Fixtures.create(dir, keep, new TestClock(Instant.parse("2025-03-01T10:00:00Z")));
  }

  @Test
  void initEndsMergesAndResetKeepEveryListTrue() throws IOException {
    try (Carrier c = create(2)) {
      assertListsMatch(c, "after init");
      assertEquals(CarrierFiles.VERSION, versionOnDisk(c));
      Set<String> afterInit = Set.copyOf(c.manifest().chunks().byImage().values());
      for (long g = 1; g <= 3; g++) {
        EndResult r = Fixtures.session(c, Fixtures.HOME, g, dir.resolve("work"));
        assertListsMatch(c, "after the end of generation " + (g + 1) + ", merged " + r.merged());
      }
      // Generation 4 of keep 2: L2 and L3 were merged into the COW, whose list changed with it;
      // the base's did not.
      assertEquals(
          List.of("base.raw", "cow.qcow2", "layers/L4.qcow2"), c.current().chain());
      String baseList = c.manifest().chunks().byImage().get("base.raw");
      assertTrue(afterInit.contains(baseList));
      assertTrue(!afterInit.contains(c.manifest().chunks().byImage().get("cow.qcow2")));
      c.reset();
      assertListsMatch(c, "after a reset");
      assertTrue(!baseList.equals(c.manifest().chunks().byImage().get("base.raw")));
      assertEquals(List.of(), c.verify().problems());
    }
  }

  @Test
  void aCarrierFromBeforeListsGetsThemOnItsFirstWriteOpen() throws IOException {
    Path folder;
    try (Carrier c = create(3)) {
      Fixtures.session(c, Fixtures.HOME, 1, dir.resolve("work"));
      folder = Fixtures.folder(c);
    }
    makeVersion1(folder);
    try (Carrier old = Fixtures.open(folder)) {
      assertNull(old.manifest().chunks());
      assertEquals(List.of(), old.verify().problems());
    }
    try (Carrier c = Fixtures.openForWrite(folder)) {
      assertNotNull(c.manifest().chunks());
      assertListsMatch(c, "after the upgrade");
      assertEquals(CarrierFiles.VERSION, versionOnDisk(c));
    }
  }

  @Test
  void verifyFindsAListThatDoesNotMatchOrIsGone() throws IOException {
    try (Carrier c = create(3)) {
      String cowList = ChunkLists.fileOf(c.manifest().chunks().byImage().get("cow.qcow2"));
      Path list = Fixtures.file(c, cowList);
      byte[] bytes = Files.readAllBytes(list);
      bytes[bytes.length - 1] ^= 1;
      Files.write(list, bytes);
      List<FileProblem> problems = c.verify().problems();
      assertEquals(1, problems.size(), problems.toString());
      assertEquals("cow.qcow2", problems.get(0).file());
      assertTrue(
          problems.get(0).problem().startsWith(list + ": chunk list does not match the manifest"),
          problems.get(0).problem());
      Files.delete(list);
      String listSha = c.manifest().chunks().byImage().get("cow.qcow2");
      CarrierException gone =
          assertThrows(CarrierException.class, () -> ChunkListStore.read(c.storage(), listSha));
      assertEquals(list + ": chunk list does not exist", gone.getMessage());
      CarrierFormatException e =
          assertThrows(CarrierFormatException.class, () -> Fixtures.open(Fixtures.folder(c)));
      assertEquals(CarrierFormatException.Kind.MISSING_FILE, e.kind());
      assertTrue(e.getMessage().contains("references " + cowList + ", which does not exist"));
    }
  }

  @Test
  void aListIsCheckedAgainstEveryChunkOfItsImage() throws IOException {
    byte[] image = new byte[3 * ChunkList.MIN_CHUNK + 100];
    for (int i = 0; i < image.length; i++) {
      image[i] = (byte) (i * 7);
    }
    ChunkList list = compute(image, ChunkList.MIN_CHUNK);
    assertEquals(4, list.count());
    assertEquals(100, list.lengthOf(3));
    assertEquals(3L * ChunkList.MIN_CHUNK, list.offsetOf(3));
    assertEquals(ChunkList.parse(list.encode(), "l"), list);
    image[2 * ChunkList.MIN_CHUNK + 5] ^= 1;
    assertEquals(2, compute(image, ChunkList.MIN_CHUNK).firstDifference(list));
    assertEquals(
        Hex.of(Hex.newSha256().digest(Arrays.copyOfRange(image, 0, 4096))),
        Hex.of(list.hashOf(0)));
  }

  @Test
  void anImageInMemoryIsListedInChunksOfTheSizeCarryonWrites() {
    byte[] image = new byte[ChunkList.CHUNK_SIZE + 10];
    image[ChunkList.CHUNK_SIZE + 3] = 9;
    ChunkList list = ChunkList.of(image);
    assertEquals(ChunkList.CHUNK_SIZE, list.chunkSize());
    assertEquals(2, list.count());
    assertEquals(
        Hex.of(Hex.newSha256().digest(Arrays.copyOfRange(image, ChunkList.CHUNK_SIZE, image.length))),
        Hex.of(list.hashOf(1)));
  }

  @Test
  void malformedListsAreRefusedNamingTheFile() throws IOException {
    byte[] good = compute(new byte[10_000], ChunkList.MIN_CHUNK).encode();
    assertRefused(new byte[] {1, 2, 3}, "not a carryon chunk list (no CYCHUNKS header)");
    byte[] version = good.clone();
    ByteBuffer.wrap(version).putInt(8, 9);
    assertRefused(version, "chunk list version 9 is not supported (this carryon reads 1)");
    byte[] chunk = good.clone();
    ByteBuffer.wrap(chunk).putInt(12, 5000);
    assertRefused(chunk, "chunk size 5000 is not a power of two from 4096 to 16777216");
    byte[] size = good.clone();
    ByteBuffer.wrap(size).putLong(16, 1L << 40);
    assertRefused(
        size,
        "96 bytes of hashes for an image of 1099511627776 bytes in chunks of 4096 (268435456"
            + " hashes expected)");
    assertRefused(
        Arrays.copyOf(good, good.length - 1),
        "95 bytes of hashes for an image of 10000 bytes in chunks of 4096 (3 hashes expected)");
  }

  @Test
  void manifestChunkFieldsAreStrict() throws IOException {
    Path folder;
    try (Carrier c = create(3)) {
      folder = Fixtures.folder(c);
    }
    byte[] good = Files.readAllBytes(folder.resolve(CarrierFiles.MANIFEST));
    String source = SOURCE;
    assertEquals(
        source + ": missing field 'chunks'",
        refused(good, o -> o.remove("chunks")).getMessage());
    assertEquals(
        source + ": unknown field 'chunks' (not in manifest version 2)",
        refused(good, o -> o.put("version", 1)).getMessage());
    assertEquals(
        source + ": chunks: list hash of cow.qcow2 (xyz) must be 64 lowercase hex digits",
        refused(good, o -> ((ObjectNode) o.get("chunks").get("lists")).put("cow.qcow2", "xyz"))
            .getMessage());
    assertEquals(
        source + ": chunks.lists names [base.raw], expected the kept images [base.raw, cow.qcow2]",
        refused(good, o -> ((ObjectNode) o.get("chunks").get("lists")).remove("cow.qcow2"))
            .getMessage());
    assertEquals(
        source + ": chunks.chunkSize (1000) must be a power of two from 4096 to 16777216",
        refused(good, o -> ((ObjectNode) o.get("chunks")).put("chunkSize", 1000)).getMessage());
  }

  /** Every kept image's list is on the carrier, is the one named, and matches the image. */
  static void assertListsMatch(Carrier c, String at) throws IOException {
    ChunkLists chunks = c.manifest().chunks();
    assertEquals(c.manifest().keptImages(), chunks.byImage().keySet(), at);
    Set<String> files = new TreeSet<>();
    for (Map.Entry<String, String> e : chunks.byImage().entrySet()) {
      ChunkList stored = ChunkListStore.read(c.storage(), e.getValue());
      byte[] image = Files.readAllBytes(Fixtures.file(c, e.getKey()));
      assertEquals(compute(image, chunks.chunkSize()), stored, e.getKey() + " " + at);
      files.add(ChunkLists.fileOf(e.getValue()));
    }
    assertEquals(files, CarrierTest.filesIn(c, ChunkLists.FOLDER), "lists on the carrier " + at);
  }

  /** Rewrites the carrier's manifest as version 1 wrote it and removes its lists. */
  static void makeVersion1(Path folder) throws IOException {
    Path manifest = folder.resolve(CarrierFiles.MANIFEST);
    ObjectNode o = (ObjectNode) JSON.readTree(manifest.toFile());
    o.remove("chunks");
    o.put("version", 1);
    Files.write(manifest, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
    FileTrees.deleteTree(folder.resolve(ChunkLists.FOLDER));
  }

  private static int versionOnDisk(Carrier c) throws IOException {
    return JSON.readTree(Fixtures.file(c, CarrierFiles.MANIFEST).toFile()).get("version").asInt();
  }

  /** The refusal of the manifest {@code good} once edited, read as {@value #SOURCE}. */
  private static CarrierFormatException refused(byte[] good, Consumer<ObjectNode> edit)
      throws IOException {
    ObjectNode o = (ObjectNode) JSON.readTree(good);
    edit.accept(o);
    byte[] bytes = JSON.writeValueAsBytes(o);
    return assertThrows(CarrierFormatException.class, () -> ManifestCodec.parse(bytes, SOURCE));
  }

  private static ChunkList compute(byte[] image, int chunkSize) throws IOException {
    try (InputStream in = new ByteArrayInputStream(image)) {
      return ChunkList.compute(in, image.length, chunkSize, Hex.newSha256());
    }
  }

  private static void assertRefused(byte[] bytes, String problem) {
    CarrierException e =
        assertThrows(CarrierException.class, () -> ChunkList.parse(bytes, "/c/chunks/x"));
    assertEquals("/c/chunks/x: " + problem, e.getMessage());
  }
}
