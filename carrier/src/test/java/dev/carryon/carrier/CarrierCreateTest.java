package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.cow.Qcow2Creator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a new carrier is made from: the base as given, an empty COW or a host's COW, refusals. */
class CarrierCreateTest {
  @TempDir Path dir;

  private final TestClock clock = new TestClock(Instant.parse("2025-03-01T10:00:00Z"));

  @Test
  void anEmptyCowIsMadeOverTheBaseByItsCarrierName() throws IOException {
    CarrierInit init = Fixtures.init(dir.resolve("src"), 3);
    byte[] base = Files.readAllBytes(init.base());
    try (Carrier c = Carrier.create(Fixtures.storage(dir.resolve("carrier")), init, Progress.NONE, clock)) {
      String info = Images.run(0, "qemu-img", "info", Fixtures.file(c, CarrierFiles.COW).toString());
      assertTrue(info.contains("\nbacking file: base.raw ("), info);
      assertTrue(info.contains("\nbacking file format: raw\n"), info);
      assertTrue(info.contains("\ncluster_size: 65536\n"), info);
      assertTrue(info.contains("\n    compat: 1.1\n"), info);
      Images.run(0, "qemu-img", "check", "-q", Fixtures.file(c, CarrierFiles.COW).toString());
      assertArrayEquals(base, Images.read(Fixtures.file(c, CarrierFiles.COW)));
    }
    assertArrayEquals(base, Files.readAllBytes(init.base()), "the source base is unchanged");
  }

  @Test
  void aHostsCowIsCopiedWithItsBackingNamedAsOnTheCarrier() throws IOException {
    CarrierInit plain = Fixtures.init(dir.resolve("src"), 3);
    Path cow = dir.resolve("src/host-cow.qcow2");
    Images.run(
        0,
        "qemu-img",
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        plain.base().toString(),
        "-F",
        "raw",
        cow.toString());
    Images.qemuIoWrite(cow, Fixtures.writes(1));
    byte[] before = Files.readAllBytes(cow);
    try (Carrier c =
        Carrier.create(Fixtures.storage(dir.resolve("carrier")), withCow(plain, cow), Progress.NONE, clock)) {
      assertArrayEquals(
          Fixtures.apply(Fixtures.baseContent(), 1), Images.read(Fixtures.file(c, CarrierFiles.COW)));
      String info = Images.run(0, "qemu-img", "info", Fixtures.file(c, CarrierFiles.COW).toString());
      assertTrue(info.contains("\nbacking file: base.raw ("), info);
      assertEquals(new Verification(List.of(), List.of()), c.verify());
    }
    assertArrayEquals(before, Files.readAllBytes(cow), "the host's COW is unchanged");
  }

  @Test
  void refusesABaseWithABackingFile() throws IOException {
    CarrierInit plain = Fixtures.init(dir.resolve("src"), 3);
    Path overlay = dir.resolve("src/overlay.qcow2");
    Qcow2Creator.create(overlay, -1, plain.base().toString(), "raw");
    CarrierException e =
        assertThrows(
            CarrierException.class,
            () -> Carrier.create(Fixtures.storage(dir.resolve("carrier")), withBase(plain, overlay), Progress.NONE));
    assertEquals(
        overlay
            + ": has a backing file ('"
            + plain.base()
            + "'); a carrier's base image must stand alone (flatten it with qemu-img convert)",
        e.getMessage());
    assertFalse(Files.exists(dir.resolve("carrier/carryon.json")));
  }

  @Test
  void refusesACowOfAnotherBase() throws IOException {
    CarrierInit plain = Fixtures.init(dir.resolve("src"), 3);
    Path other = Files.write(dir.resolve("src/other.img"), new byte[Fixtures.SIZE]);
    Path cow = dir.resolve("src/cow-of-other.qcow2");
    Qcow2Creator.create(cow, -1, other.toString(), "raw");
    CarrierException e =
        assertThrows(
            CarrierException.class,
            () -> Carrier.create(Fixtures.storage(dir.resolve("carrier")), withCow(plain, cow), Progress.NONE));
    assertEquals(
        cow
            + ": its backing file is "
            + other
            + ", not "
            + plain.base()
            + " (the image it must be an overlay of)",
        e.getMessage());
    assertFalse(Files.exists(dir.resolve("carrier/carryon.json")));
  }

  static CarrierInit withCow(CarrierInit i, Path cow) {
    return new CarrierInit(
        i.vm(),
        i.base(),
        cow,
        i.kernel(),
        i.initrd(),
        i.state(),
        i.host(),
        i.sessionId(),
        i.note(),
        i.keep());
  }

  static CarrierInit withBase(CarrierInit i, Path base) {
    return new CarrierInit(
        i.vm(),
        base,
        i.cow(),
        i.kernel(),
        i.initrd(),
        i.state(),
        i.host(),
        i.sessionId(),
        i.note(),
        i.keep());
  }
}
