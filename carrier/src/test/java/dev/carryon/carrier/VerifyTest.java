package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.cow.Qcow2Creator;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** verify's structural and header checks, with qemu-img check as the oracle of the damage made. */
class VerifyTest {
  /** Byte offsets of qcow2 header fields (docs/interop/qcow2.txt). */
  private static final int L1_TABLE_OFFSET = 40;

  private static final int REFCOUNT_TABLE_OFFSET = 48;

  @TempDir Path dir;

  private final TestClock clock = new TestClock(Instant.parse("2025-03-01T10:00:00Z"));

  @Test
  void leakedClustersAreOnlyAWarning() throws IOException {
    CarrierInit plain = Fixtures.init(dir.resolve("src"), 3);
    Path cow = dir.resolve("src/leaky.qcow2");
    Qcow2Creator.create(cow, -1, plain.base().toString(), "raw");
    // Count one cluster past the end of the image, used by nothing: a leak, as a cut merge leaves.
    try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
      long next = f.length() / Fixtures.CLUSTER;
      f.setLength(f.length() + Fixtures.CLUSTER);
      setRefcount(f, next, 1);
    }
    assertEquals(3, Images.exec("qemu-img", "check", cow.toString()).exit(), "qemu-img: a leak");
    try (Carrier c =
        Carrier.create(Fixtures.storage(dir.resolve("carrier")), CarrierCreateTest.withCow(plain, cow), Progress.NONE, clock)) {
      Verification v = c.verify();
      assertTrue(v.passed(), v.toString());
      assertEquals(1, v.warnings().size(), v.toString());
      assertEquals("cow.qcow2", v.warnings().get(0).file());
      assertTrue(v.warnings().get(0).problem().startsWith("1 leaked clusters"), v.toString());
    }
  }

  @Test
  void aCorruptImageIsAProblem() throws IOException {
    Path carrier;
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      carrier = Fixtures.folder(c);
    }
    Path cow = carrier.resolve(CarrierFiles.COW);
    // The L1 table's cluster counted as free: a cluster in use could be handed out twice.
    try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
      f.seek(L1_TABLE_OFFSET);
      setRefcount(f, f.readLong() / Fixtures.CLUSTER, 0);
    }
    assertEquals(2, Images.exec("qemu-img", "check", cow.toString()).exit(), "qemu-img: corrupt");
    List<FileProblem> problems = Fixtures.open(carrier).verify().problems();
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.get(0).problem().startsWith("SHA-256 "), problems.toString());
    assertEquals("cow.qcow2", problems.get(1).file());
    assertTrue(
        problems.get(1).problem().startsWith("qcow2 check found 1 corruptions and 0 check errors"),
        problems.toString());
  }

  @Test
  void aHeaderNamingAnotherBackingFileIsAProblem() throws IOException {
    Path carrier;
    try (Carrier c = Fixtures.create(dir, 3, clock)) {
      Fixtures.session(c, Fixtures.HOME, 1, dir.resolve("work"));
      Fixtures.session(c, Fixtures.HOME, 2, dir.resolve("work"));
      carrier = Fixtures.folder(c);
    }
    Qcow2Creator.rebaseUnsafe(carrier.resolve("layers/L3.qcow2"), "../cow.qcow2", "qcow2");
    List<FileProblem> problems = Fixtures.open(carrier).verify().problems();
    assertEquals(2, problems.size(), problems.toString());
    assertEquals("layers/L3.qcow2", problems.get(0).file());
    assertTrue(problems.get(0).problem().startsWith("SHA-256 "), problems.toString());
    assertEquals(
        new FileProblem(
            "layers/L3.qcow2",
            "backing file '../cow.qcow2' recorded, '../layers/L2.qcow2' expected"),
        problems.get(1));
  }

  /** Sets the 16-bit refcount of {@code cluster} in the image's first refcount block. */
  private static void setRefcount(RandomAccessFile f, long cluster, int refcount)
      throws IOException {
    f.seek(REFCOUNT_TABLE_OFFSET);
    f.seek(f.readLong());
    f.seek(f.readLong() + 2 * cluster);
    f.writeShort(refcount);
  }
}
