package dev.carryon.launcher.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.VmConfig;
import dev.carryon.launcher.qemu.QemuTool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Asks the real QEMU installed on this machine (7.2, Debian 12); fails when it is missing. */
class HostCapabilitiesTest {
  @TempDir static Path home;
  private static HostCapabilities here;

  @BeforeAll
  static void probeRealQemu() throws IOException {
    here = HostCapabilities.probe(QemuTool.SYSTEM.locate(), home.resolve("qemu-facts.json"));
  }

  private static VmConfig config(String machine, String cpu, long memoryMiB) {
    return new VmConfig(machine, cpu, memoryMiB, 1, "virtio-blk", null, null, null, List.of());
  }

  @Test
  void theTestGuestsConfigurationFits() {
    assertEquals(List.of(), here.problems(config("pc-q35-7.2", "qemu64", 256)));
  }

  @Test
  void eachMismatchIsNamed() {
    List<String> problems =
        here.problems(config("pc-q35-99.0", "NoSuchCpu-v9", VmConfig.MAX_MEMORY_MIB));
    assertEquals(3, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("has no machine type pc-q35-99.0"), problems.get(0));
    assertTrue(problems.get(1).contains("NoSuchCpu-v9"), problems.get(1));
    assertTrue(problems.get(2).contains("MiB of RAM"), problems.get(2));
  }

  @Test
  void aliasesArePinnedToTheirVersionedMachineType() {
    assertEquals("pc-q35-7.2", here.pinnedMachine("q35"));
    assertEquals("pc-q35-7.1", here.pinnedMachine("pc-q35-7.1"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> here.pinnedMachine("nosuch"));
    assertTrue(e.getMessage().contains("has no machine type nosuch (it has pc-q35-7.2, pc-q35-7.1,"), e.getMessage());
  }

  @Test
  void newCarriersGetThePortableMachineType() {
    assertEquals("pc-q35-7.2", here.defaultMachine().value());
    assertTrue(here.defaultMachine().why().contains("QEMU 7.2 and newer"), here.defaultMachine().why());
  }

  @Test
  void unportableCpuModelsNeedToBeAskedFor() {
    assertNull(here.cpuProblem("qemu64", false));
    assertTrue(here.cpuProblem("max", false).contains("--cpu-unportable"), here.cpuProblem("max", false));
    assertTrue(here.cpuProblem("host", false).contains("not portable"));
    assertNull(here.cpuProblem("max", true));
    String lacking = here.cpuProblem("Skylake-Client", false);
    assertTrue(lacking.contains("cannot give under TCG (") && lacking.contains("rdseed"), lacking);
    assertTrue(here.cpuProblem("NoSuchCpu", true).contains("has no CPU model NoSuchCpu"));
  }

  @Test
  void availableMemoryIsReadFromMeminfo(@TempDir Path dir) throws IOException {
    Path meminfo = dir.resolve("meminfo");
    Files.writeString(meminfo, "MemTotal:       2048000 kB\nMemAvailable:    1048576 kB\n");
    assertEquals(1024, HostCapabilities.availableMiB(meminfo));
    assertEquals(-1, HostCapabilities.availableMiB(dir.resolve("absent")));
  }
}
