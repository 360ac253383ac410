package dev.carryon.launcher.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.VmConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Asks the real QEMU installed on this machine; fails when it is missing. */
class HostCapabilitiesTest {
  private static HostCapabilities here;

  @BeforeAll
  static void probeRealQemu() throws IOException {
    here = HostCapabilities.probe(dev.carryon.launcher.qemu.QemuTool.SYSTEM.locate());
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
    List<String> problems = here.problems(config("pc-q35-99.0", "NoSuchCpu-v9", VmConfig.MAX_MEMORY_MIB));
    assertEquals(3, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("pc-q35-99.0"), problems.get(0));
    assertTrue(problems.get(1).contains("NoSuchCpu-v9"), problems.get(1));
    assertTrue(problems.get(2).contains("MiB of RAM"), problems.get(2));
  }

  @Test
  void aliasesArePinnedToTheirVersionedMachineType() {
    assertEquals("pc-q35-7.2", here.pinnedMachine("q35"));
    assertEquals("pc-q35-7.1", here.pinnedMachine("pc-q35-7.1"));
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> here.pinnedMachine("nosuch"));
    assertTrue(e.getMessage().contains("nosuch"), e.getMessage());
  }

  @Test
  void availableMemoryIsReadFromMeminfo(@TempDir Path dir) throws IOException {
    Path meminfo = dir.resolve("meminfo");
    Files.writeString(meminfo, "MemTotal:       2048000 kB\nMemAvailable:    1048576 kB\n");
    assertEquals(1024, HostCapabilities.availableMiB(meminfo));
    assertEquals(-1, HostCapabilities.availableMiB(dir.resolve("absent")));
  }
}
