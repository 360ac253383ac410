package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
    Path cacheFile = dir.resolve("cache.json");
    AccelChoice choice =
        AccelProbe.choose(
            null, facts(QemuTool.SYSTEM.locate()), dir.resolve("kvm"), cache(cacheFile), AccelProbeTest::noProbe);
    assertEquals(Accel.TCG, choice.accel());
    assertEquals("accelerator tcg (kvm unusable: no " + dir.resolve("kvm") + ")", choice.describe());
    assertFalse(Files.exists(cacheFile), "nothing to cache without a probe");
  }

  @Test
  void fallsBackToTcgWhenTheKvmProbeFails() throws Exception {
    Path fakeKvm = Files.createFile(dir.resolve("kvm"));
    Path fake = Files.writeString(dir.resolve("fake-qemu"), "#!/bin/sh\nsleep 30\n");
    fake.toFile().setExecutable(true);
    AccelChoice choice =
        AccelProbe.choose(null, facts(fake), fakeKvm, null, () -> AccelProbe.probeKvm(fake, Duration.ofMillis(300)));
    assertEquals(Accel.TCG, choice.accel());
    assertEquals("kvm unusable: kvm probe did not finish within 0.30 s", choice.reason());
  }

  /** A QEMU that boots the probe at once under TCG and never ends under KVM. */
  private Path qemuWithHangingKvm() throws IOException {
    Path fake =
        Files.writeString(
            dir.resolve("fake-qemu"),
            "#!/bin/sh\n"
                + "case \"$*\" in *\"-accel kvm\"*) exec sleep 30;; esac\n"
                + "for a in \"$@\"; do case \"$a\" in file,id=serial0,path=*)"
                + " printf K > \"${a#file,id=serial0,path=}\";; esac; done\n"
                + "exit 67\n");
    fake.toFile().setExecutable(true);
    return fake;
  }

  @Test
  void kvmMustBeAboutAsFastAsTcg() throws Exception {
    Path fake = qemuWithHangingKvm();
    long start = System.nanoTime();
    AccelChoice choice = AccelProbe.probeKvm(fake, Duration.ofSeconds(20));
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(Accel.TCG, choice.accel());
    assertTrue(
        choice.reason().matches(
            "kvm unusable: kvm probe did not finish within 1\\.00 s \\(tcg booted it in 0\\.\\d\\d s\\)"),
        choice.reason());
    assertTrue(seconds < 5, "KVM's limit follows TCG's time, not the 20 s given: " + seconds);
  }

  @Test
  void aKvmAsFastAsTcgIsChosen() throws Exception {
    Path fake = qemuWithHangingKvm();
    Files.writeString(fake, Files.readString(fake).replace("exec sleep 30", ":"));
    AccelChoice choice = AccelProbe.probeKvm(fake, Duration.ofSeconds(20));
    assertEquals(Accel.KVM, choice.accel());
    assertTrue(
        choice.reason().matches("kvm probe booted in \\d\\.\\d\\d s \\(tcg booted it in \\d\\.\\d\\d s\\)"),
        choice.reason());
  }

  @Test
  void canBeForcedWithoutProbeOrCache() {
    Path none = Path.of("/none");
    Path cacheFile = dir.resolve("cache.json");
    AccelChoice tcg = AccelProbe.choose("tcg", facts(none), none, cache(cacheFile), AccelProbeTest::noProbe);
    assertEquals(new AccelChoice(Accel.TCG, "forced by CARRYON_ACCEL=tcg"), tcg);
    assertEquals(Accel.KVM, AccelProbe.choose("KVM", facts(none), none, cache(cacheFile), AccelProbeTest::noProbe).accel());
    assertFalse(Files.exists(cacheFile));
    CarryonException e =
        assertThrows(
            CarryonException.class,
            () -> AccelProbe.choose("hvf", facts(none), none, null, AccelProbeTest::noProbe));
    assertEquals(ExitCodes.ENVIRONMENT, e.exitCode());
    assertEquals("CARRYON_ACCEL=hvf is not one of: kvm, tcg", e.getMessage());
  }

  @Test
  void aProbeIsReusedWhileItsKeyHolds() throws Exception {
    Fixture f = new Fixture();
    AccelChoice first = f.choose();
    assertEquals(1, f.probes);
    assertEquals(new AccelChoice(Accel.TCG, SLOW), first);
    AccelChoice second = f.choose();
    assertEquals(1, f.probes, "same boot, QEMU and /dev/kvm: no second probe");
    assertEquals("accelerator tcg (cached probe: " + SLOW + ")", second.describe());
    assertEquals(second, f.choose());
    assertEquals(1, f.probes);
  }

  @Test
  void aKvmResultIsCachedToo() throws Exception {
    Fixture f = new Fixture();
    f.answer = new AccelChoice(Accel.KVM, "kvm probe booted in 0.21 s");
    f.choose();
    AccelChoice again = f.choose();
    assertEquals(1, f.probes);
    assertEquals(new AccelChoice(Accel.KVM, "cached probe: kvm probe booted in 0.21 s"), again);
  }

  @Test
  void aNewBootProbesAgain() throws Exception {
    Fixture f = new Fixture();
    f.choose();
    Files.writeString(f.bootId, "0dff5b59-56b6-4292-a5cb-000000000002\n");
    f.answer = new AccelChoice(Accel.KVM, "kvm probe booted in 0.30 s");
    assertEquals(f.answer, f.choose());
    assertEquals(2, f.probes);
    assertEquals("cached probe: kvm probe booted in 0.30 s", f.choose().reason());
    assertEquals(2, f.probes);
  }

  @Test
  void anotherQemuBinaryProbesAgain() throws Exception {
    Fixture f = new Fixture();
    f.choose();
    Files.setLastModifiedTime(f.qemu, FileTime.from(Instant.parse("2026-01-02T03:04:05Z")));
    f.choose();
    assertEquals(2, f.probes, "new modification time");
    Files.writeString(f.qemu, "#!/bin/sh\n# upgraded, same time\n");
    Files.setLastModifiedTime(f.qemu, FileTime.from(Instant.parse("2026-01-02T03:04:05Z")));
    f.choose();
    assertEquals(3, f.probes, "new size");
    Path other = Files.copy(f.qemu, dir.resolve("other-qemu"), StandardCopyOption.COPY_ATTRIBUTES);
    AccelProbe.choose(null, facts(other), f.kvm, f.cache, f::probe);
    assertEquals(4, f.probes, "another path");
    f.choose();
    assertEquals(5, f.probes, "the cache holds the last probe only");
  }

  @Test
  void aQemuThatReportsAnotherVersionProbesAgain() throws Exception {
    // A wrapper (a chroot, a container) can hide an upgrade from the file's own size and time.
    Fixture f = new Fixture();
    f.choose();
    AccelProbe.choose(null, facts(f.qemu, "10.0.13"), f.kvm, f.cache, f::probe);
    assertEquals(2, f.probes);
  }

  @Test
  void aNewKvmNodeProbesAgain() throws Exception {
    Fixture f = new Fixture();
    f.choose();
    Object ctime = Files.getAttribute(f.kvm, "unix:ctime");
    for (int i = 0; i < 100 && ctime.equals(Files.getAttribute(f.kvm, "unix:ctime")); i++) {
      Thread.sleep(10); // the kernel's file times move in clock ticks
      Files.delete(f.kvm);
      Files.createFile(f.kvm);
    }
    f.choose();
    assertEquals(2, f.probes);
  }

  @Test
  void aDamagedCacheIsProbedAgainAndRewritten() throws Exception {
    Fixture f = new Fixture();
    Files.writeString(f.cacheFile, "{\"key\": {\"bootId\": tor");
    f.choose();
    assertEquals(1, f.probes);
    assertTrue(Files.readString(f.cacheFile).contains("\"reason\" : \"" + SLOW + "\""));
    f.choose();
    assertEquals(1, f.probes);
    try (var files = Files.list(dir)) {
      assertEquals(List.of(), files.filter(p -> p.toString().endsWith(".tmp")).toList());
    }
  }

  @Test
  void withoutABootIdNothingIsCached() throws Exception {
    Fixture f = new Fixture();
    Files.delete(f.bootId);
    f.choose();
    f.choose();
    assertEquals(2, f.probes);
    assertFalse(Files.exists(f.cacheFile));
  }

  private static final String SLOW = "kvm unusable: kvm probe did not finish within 5.00 s";

  /** A host of files: boot id, QEMU binary, /dev/kvm, cache; a probe that counts its runs. */
  private final class Fixture {
    final Path bootId;
    final Path qemu;
    final Path kvm;
    final Path cacheFile = dir.resolve("accel-probe.json");
    final AccelProbeCache cache;
    AccelChoice answer = new AccelChoice(Accel.TCG, SLOW);
    int probes;

    Fixture() throws IOException {
      bootId = Files.writeString(dir.resolve("boot_id"), "0dff5b59-56b6-4292-a5cb-000000000001\n");
      qemu = Files.writeString(dir.resolve("qemu"), "#!/bin/sh\n");
      kvm = Files.createFile(dir.resolve("kvm"));
      cache = new AccelProbeCache(cacheFile, bootId);
    }

    AccelChoice probe() {
      probes++;
      return answer;
    }

    AccelChoice choose() {
      return AccelProbe.choose(null, facts(qemu), kvm, cache, this::probe);
    }
  }

  /** What QEMU 7.2.22 would say of itself, had it run from {@code executable}. */
  private static QemuFacts facts(Path executable) {
    return facts(executable, "7.2.22");
  }

  private static QemuFacts facts(Path executable, String version) {
    return new QemuFacts(version, "Debian", executable, Map.of(), Map.of());
  }

  private AccelProbeCache cache(Path file) {
    return new AccelProbeCache(file, dir.resolve("boot_id"));
  }

  private static AccelChoice noProbe() {
    throw new AssertionError("no probe expected");
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
