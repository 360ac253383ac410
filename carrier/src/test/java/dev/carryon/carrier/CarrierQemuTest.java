package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session ends whose layers are written by {@code qemu-io} into overlays made by {@code qemu-img},
 * with {@code qemu-img} as the oracle of what the carrier's files hold: the top file of every kept
 * generation, opened by QEMU following the backing names in the headers, reads as expected, every
 * image checks clean, and the backing chain QEMU follows is exactly the manifest's.
 */
class CarrierQemuTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private final TestClock clock = new TestClock(Instant.parse("2025-03-01T10:00:00Z"));

  @Test
  void aLayerWrittenByQemuIoIsMergedIntoWhatQemuReads() throws IOException {
    try (Carrier c = Fixtures.create(dir, 1, clock)) {
      // keep 1: the layer is merged into the COW as soon as the end is committed.
      EndResult r = qemuSession(c, Fixtures.OFFICE, 1);
      assertEquals(List.of("layers/L2.qcow2"), r.merged());
      assertEquals(List.of("base.raw", "cow.qcow2"), c.current().chain());
      assertQemuAgrees(c, Fixtures.apply(Fixtures.baseContent(), 2));
    }
  }

  @Test
  void theBackingChainQemuFollowsIsTheManifestsAfterEveryEnd() throws IOException {
    // A qcow2 base this time, made by qemu-img from the raw pattern.
    Path src = dir.resolve("src");
    CarrierInit raw = Fixtures.init(src, 3);
    Path base = src.resolve("disk.qcow2");
    Images.run(0, "qemu-img", "convert", "-O", "qcow2", raw.base().toString(), base.toString());
    CarrierInit init = CarrierCreateTest.withBase(raw, base);
    byte[] content = Fixtures.baseContent();
    try (Carrier c = Carrier.create(Fixtures.storage(dir.resolve("carrier")), init, Progress.NONE, clock)) {
      JsonNode cow = info(Fixtures.file(c, CarrierFiles.COW)).get(0);
      assertEquals(65536, cow.get("cluster-size").asInt());
      assertEquals("1.1", cow.at("/format-specific/data/compat").asText());
      for (long g = 2; g <= 6; g++) {
        qemuSession(c, Fixtures.HOME, g - 1);
        content = Fixtures.apply(content, g);
        assertChainIsTheManifests(c);
        assertQemuAgrees(c, content);
      }
      assertEquals(
          List.of("base.qcow2", "cow.qcow2", "layers/L5.qcow2", "layers/L6.qcow2"),
          c.current().chain());
    }
  }

  /**
   * A session on {@code host} that resumed {@code resumed}: the local COW is made by {@code
   * qemu-img create} over the carrier's top by absolute path, written by {@code qemu-io}, and
   * copied onto the carrier.
   */
  private EndResult qemuSession(Carrier c, HostIdentity host, long resumed) throws IOException {
    String session = "s" + (c.manifest().currentGeneration() + 1);
    c.takeLease(host, session);
    SessionEnd end = c.beginEnd(host, session, resumed);
    Path work = Files.createDirectories(dir.resolve("work"));
    Path local = work.resolve("local-" + end.generation() + ".qcow2");
    String top = Fixtures.file(c, c.checkpoint(resumed).top()).toString();
    Images.run(0, "qemu-img", "create", "-q", "-f", "qcow2", "-b", top, "-F", "qcow2", local + "");
    Images.qemuIoWrite(local, Fixtures.writes(end.generation()));
    byte[] before = Files.readAllBytes(local);
    end.copyLayer(local, Progress.NONE);
    assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(local)), "local COW unchanged");
    end.copyState(
        Files.write(work.resolve("state"), Fixtures.stateBytes(end.generation())), Progress.NONE);
    return c.commitGeneration(end, "");
  }

  /**
   * {@code qemu-img compare} finds the current top identical to {@code expected}, every image
   * checks clean.
   */
  private void assertQemuAgrees(Carrier c, byte[] expected) throws IOException {
    Path raw = Files.write(dir.resolve("expected.raw"), expected);
    String top = Fixtures.file(c, c.current().top()).toString();
    assertTrue(
        Images.run(0, "qemu-img", "compare", "-f", "qcow2", "-F", "raw", top, raw.toString())
            .contains("Images are identical"));
    for (String name : c.manifest().files().keySet()) {
      if (name.endsWith(".qcow2")) {
        Images.run(0, "qemu-img", "check", "-q", Fixtures.file(c, name).toString());
      }
    }
    Verification v = c.verify();
    assertTrue(v.passed() && v.warnings().isEmpty(), v.toString());
  }

  /**
   * For every kept generation, {@code qemu-img info --backing-chain} on its top lists exactly its
   * manifest chain, each link recorded relative to the image's folder with its format.
   */
  private static void assertChainIsTheManifests(Carrier c) throws IOException {
    for (Generation g : c.checkpoints()) {
      JsonNode chain = info(Fixtures.file(c, g.top()));
      List<String> followed = new ArrayList<>();
      for (JsonNode image : chain) {
        Path file = Path.of(image.get("filename").asText()).toAbsolutePath().normalize();
        followed.add(0, Fixtures.folder(c).relativize(file).toString());
      }
      assertEquals(g.chain(), followed, "chain of generation " + g.number());
      for (int i = 0; i < chain.size(); i++) {
        String name = g.chain().get(g.chain().size() - 1 - i);
        JsonNode image = chain.get(i);
        if (i == chain.size() - 1) {
          assertFalse(image.has("backing-filename"), name + " stands alone");
          continue;
        }
        String below = g.chain().get(g.chain().size() - 2 - i);
        assertEquals(
            CarrierFiles.backingName(name, below), image.get("backing-filename").asText(), name);
        assertEquals(
            CarrierFiles.formatOf(below), image.get("backing-filename-format").asText(), name);
      }
    }
  }

  private static JsonNode info(Path image) throws IOException {
    return JSON.readTree(
        Images.run(0, "qemu-img", "info", "--backing-chain", "--output=json", image.toString()));
  }
}
