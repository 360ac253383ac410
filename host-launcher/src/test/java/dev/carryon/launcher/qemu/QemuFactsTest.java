package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.testdata.SecondQemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What QEMU 7.2 (this host's, Debian 12) and 10.0 (Debian 13's, through the chroot wrapper of
 * {@link SecondQemu}) answer over QMP, read the same way, and how the answers are cached.
 */
class QemuFactsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void bothVersionsAnswerTheSameQuestionsTheSameWay() throws Exception {
    QemuFacts old = QemuFacts.fromAnswers(QemuFacts.ask(QemuTool.SYSTEM.locate()));
    SecondQemu second = SecondQemu.get();
    QemuFacts newer = QemuFacts.fromAnswers(QemuFacts.ask(second.wrapper()));

    assertTrue(old.version().startsWith("7.2."), old.describe());
    assertTrue(old.packageName().startsWith("Debian 1:7.2"), old.describe());
    assertTrue(newer.version().startsWith("10.0."), newer.describe());
    assertEquals("pc-q35-7.2", old.machineForAlias("q35"));
    assertEquals("pc-q35-10.0", newer.machineForAlias("q35"));
    for (QemuFacts q : new QemuFacts[] {old, newer}) {
      assertTrue(q.machines().containsKey("pc-q35-7.2"), q.describe() + " runs 7.2's machine type");
      assertTrue(q.cpus().get("qemu64").migrationSafe(), q.describe());
      assertFalse(q.cpus().get("max").migrationSafe(), q.describe());
      assertEquals(
          java.util.List.of(), q.cpus().get("qemu64").unavailable(), "TCG gives qemu64 in full");
    }
    assertFalse(old.machines().containsKey("pc-q35-10.0"));
    assertTrue(newer.machines().get("pc-q35-4.2").deprecated(), "10.0 deprecates old types");
    assertEquals(
        second.executable().toRealPath(),
        newer.executable(),
        "the executable behind the wrapper, as the QEMU process was");
  }

  @Test
  void answersAreReusedUntilTheExecutableBehindAWrapperChanges() throws Exception {
    // A wrapper whose bytes never change, and a QEMU behind it that can be "upgraded".
    Path executable = Files.copy(QemuTool.SYSTEM.locate(), dir.resolve("qemu-copy"));
    // The copy finds the package's accelerator modules only when told where they are.
    Path modules = QemuTool.SYSTEM.locate().toRealPath().getParent().resolveSibling("lib/x86_64-linux-gnu/qemu");
    Path wrapper =
        Files.writeString(
            dir.resolve("qemu-wrapper"),
            "#!/bin/sh\nQEMU_MODULE_DIR=" + modules + " exec " + executable + " \"$@\"\n");
    wrapper.toFile().setExecutable(true);
    Path cacheFile = dir.resolve("qemu-facts.json");
    QemuFactsCache cache = new QemuFactsCache(cacheFile);

    QemuFacts first = cache.factsOf(wrapper);
    assertEquals(executable, first.executable());
    markCachedVersion(cacheFile, wrapper, 99);
    assertEquals("99.2." + first.version().split("\\.")[2], cache.factsOf(wrapper).version(),
        "unchanged: the cached answer is used, QEMU is not asked");

    Files.setLastModifiedTime(executable, FileTime.from(Instant.parse("2026-01-02T03:04:05Z")));
    assertEquals(first.version(), cache.factsOf(wrapper).version(), "upgraded behind the wrapper: asked again");
  }

  /** Makes the cached answer of {@code wrapper} say QEMU {@code major}.x, to tell it from a fresh one. */
  private static void markCachedVersion(Path cacheFile, Path wrapper, int major) throws Exception {
    ObjectNode all = (ObjectNode) JSON.readTree(cacheFile.toFile());
    ((ObjectNode) all.get(wrapper.toString()).get("answers").get("version").get("qemu"))
        .put("major", major);
    Files.writeString(cacheFile, JSON.writeValueAsString(all));
  }
}
