package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccelProbeTest {
  @TempDir Path dir;

  @AfterAll
  static void noQemuLeft() throws Exception {
    TestQemu.assertNoOrphans();
  }

  @Test
  void theProbeDiskIsABootSector() {
    byte[] disk = AccelProbe.bootDisk();
    assertEquals(1024 * 1024, disk.length);
    assertEquals((byte) 0xba, disk[0], "mov dx, 0x3f8 first");
    assertEquals((byte) 0x55, disk[510]);
    assertEquals((byte) 0xaa, disk[511]);
  }

  @Test
  void theProbeBootsToItsEndUnderTcg() {
    assertNull(AccelProbe.probe(QemuTool.SYSTEM.locate(), Accel.TCG, Duration.ofSeconds(20)));
  }

  @Test
  void aProbeThatDoesNotFinishInTimeIsKilledAndReported() {
    String failure = AccelProbe.probe(QemuTool.SYSTEM.locate(), Accel.TCG, Duration.ZERO);
    assertEquals("tcg probe did not finish within 0.00 s", failure);
  }

  @Test
  void aBrokenQemuIsReportedWithItsError() throws Exception {
    Path fake = Files.writeString(dir.resolve("fake-qemu"), "#!/bin/sh\necho 'no such accel' >&2\nexit 1\n");
    fake.toFile().setExecutable(true);
    String failure = AccelProbe.probe(fake, Accel.KVM, Duration.ofSeconds(5));
    assertEquals("kvm probe exited with code 1 (expected 67): no such accel", failure);
  }

  @Test
  void fallsBackToTcgWithoutDevKvm() {
    AccelChoice choice =
        AccelProbe.choose(null, QemuTool.SYSTEM.locate(), dir.resolve("kvm"), Duration.ofSeconds(5));
    assertEquals(Accel.TCG, choice.accel());
    assertEquals("accelerator tcg (kvm unusable: no " + dir.resolve("kvm") + ")", choice.describe());
  }

  @Test
  void fallsBackToTcgWhenTheKvmProbeFails() throws Exception {
    Path fakeKvm = Files.createFile(dir.resolve("kvm"));
    Path fake = Files.writeString(dir.resolve("fake-qemu"), "#!/bin/sh\nsleep 30\n");
    fake.toFile().setExecutable(true);
    AccelChoice choice = AccelProbe.choose(null, fake, fakeKvm, Duration.ofMillis(300));
    assertEquals(Accel.TCG, choice.accel());
    assertEquals("kvm unusable: kvm probe did not finish within 0.30 s", choice.reason());
  }

  @Test
  void canBeForced() {
    AccelChoice tcg = AccelProbe.choose("tcg", Path.of("/none"), Path.of("/none"), Duration.ZERO);
    assertEquals(new AccelChoice(Accel.TCG, "forced by CARRYON_ACCEL=tcg"), tcg);
    assertEquals(Accel.KVM, AccelProbe.choose("KVM", Path.of("/none"), Path.of("/none"), Duration.ZERO).accel());
    CarryonException e =
        assertThrows(
            CarryonException.class,
            () -> AccelProbe.choose("hvf", Path.of("/none"), Path.of("/none"), Duration.ZERO));
    assertEquals(ExitCodes.ENVIRONMENT, e.exitCode());
    assertEquals("CARRYON_ACCEL=hvf is not one of: kvm, tcg", e.getMessage());
  }

  @Test
  void picksKvmWhenItWorksHereElseSaysWhy() {
    AccelChoice choice = AccelProbe.choose();
    System.err.println("AccelProbeTest: " + choice.describe());
    if (choice.accel() == Accel.KVM) {
      assertTrue(choice.reason().startsWith("kvm probe booted in "), choice.reason());
    } else {
      assertTrue(choice.reason().startsWith("kvm unusable: ") || choice.reason().startsWith("forced"), choice.reason());
    }
  }
}
