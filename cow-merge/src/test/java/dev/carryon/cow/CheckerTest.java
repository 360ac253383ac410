package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Checker} against {@code qemu-img check --output=json} on clean, leaky and corrupt images. */
class CheckerTest {
  @TempDir Path dir;
  Path image;

  @BeforeEach
  void image() {
    image = dir.resolve("disk.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", image.toString(), "4M");
    Qemu.io(image, "write -P 0x21 0 64k", "write -P 0x22 1M 16k", "write -P 0x23 3M 4k");
  }

  @Test
  void cleanImage() {
    Qemu.Result qemu = Qemu.check(image);
    assertEquals(0, qemu.exit(), qemu.out());
    assertCountsAgree(qemu, check(image, false));
  }

  @Test
  void leaksAreCountedAsQemuCountsThem() throws Exception {
    leak(3);
    Qemu.Result qemu = Qemu.check(image);
    assertEquals(3, qemu.exit(), "qemu-img check: leaks only\n" + qemu.out());
    CheckReport ours = check(image, false);
    assertCountsAgree(qemu, ours);
    assertEquals(3, ours.leaks());
    assertFalse(ours.isClean());
  }

  @Test
  void repairLeaksLeavesAnImageQemuCallsClean() throws Exception {
    leak(3);
    byte[] before = MergeOracleTest.qemuRaw(image);
    CheckReport repaired = Checker.check(image, true);
    assertEquals(3, repaired.leaksFixed());
    assertEquals(0, repaired.leaks());
    assertTrue(repaired.isClean(), repaired.toString());
    Qemu.Result qemu = Qemu.check(image);
    assertEquals(0, qemu.exit(), "qemu-img check after repair:\n" + qemu.out());
    assertArrayEquals(before, MergeOracleTest.qemuRaw(image), "content unchanged by the repair");
    // The freed clusters are reused: QEMU can allocate again and stays consistent.
    Qemu.io(image, "write -P 0x24 2M 64k");
    assertEquals(0, Qemu.check(image).exit());
  }

  @Test
  void refcountTooLowIsACorruptionLikeQemuSays() throws Exception {
    try (ImagePatch p = new ImagePatch(image)) {
      p.setRefcount(p.hostOf(1 << 20), 0);
    }
    Qemu.Result qemu = Qemu.check(image);
    assertEquals(2, qemu.exit(), "qemu-img check: corruption\n" + qemu.out());
    CheckReport ours = check(image, false);
    assertCountsAgree(qemu, ours);
    assertTrue(ours.corruptions() > 0);
    // Repair of leaks never touches an image with corruptions.
    byte[] before = Files.readAllBytes(image);
    CheckReport again = Checker.check(image, true);
    assertEquals(0, again.leaksFixed());
    assertArrayEquals(before, Files.readAllBytes(image));
  }

  @Test
  void corruptionAndLeaksTogether() throws Exception {
    leak(2);
    try (ImagePatch p = new ImagePatch(image)) {
      p.setRefcount(p.hostOf(3 << 20), 0);
    }
    Qemu.Result qemu = Qemu.check(image);
    assertEquals(2, qemu.exit(), "corruption wins over leaks in the exit code\n" + qemu.out());
    assertCountsAgree(qemu, check(image, false));
  }

  /** Drops the L2 entries of the first {@code n} data clusters, so their host clusters leak. */
  private void leak(int n) throws Exception {
    try (ImagePatch p = new ImagePatch(image)) {
      for (int i = 0; i < n; i++) {
        p.unmap(i * 4096L);
      }
    }
  }

  private static CheckReport check(Path image, boolean repair) {
    try {
      return Checker.check(image, repair);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void assertCountsAgree(Qemu.Result qemu, CheckReport ours) {
    QemuInfo q = QemuInfo.parse(qemu.out());
    for (String key : List.of("leaks", "corruptions", "check-errors", "allocated-clusters", "total-clusters")) {
      long theirs = q.get(key) == null ? 0 : q.number(key);
      long mine =
          switch (key) {
            case "leaks" -> ours.leaks();
            case "corruptions" -> ours.corruptions();
            case "check-errors" -> ours.checkErrors();
            case "allocated-clusters" -> ours.allocatedClusters();
            default -> ours.totalClusters();
          };
      assertEquals(theirs, mine, key + ": qemu-img check says\n" + qemu.out() + "\nours: " + ours);
    }
  }
}
