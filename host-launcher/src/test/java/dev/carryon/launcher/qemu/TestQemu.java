package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.carryon.carrier.VmConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Shared by the tests that run a real QEMU: a tiny VM and the check that none was left behind. */
public final class TestQemu {
  private TestQemu() {}

  /** A 32 MiB diskless VM under TCG, console to a file; SeaBIOS finds nothing to boot and waits. */
  public static QemuLaunch tinyLaunch(Path dir) {
    VmConfig config = new VmConfig("pc-q35-7.2", "qemu64", 32, 1, "virtio-blk", null, null, null, List.of());
    return QemuLaunch.of(config, dir).withConsole(dir.resolve("console.log"));
  }

  /** Fails when a QEMU started by this JVM (found by its work folder's name) still runs. */
  public static void assertNoOrphans() throws IOException, InterruptedException {
    assertEquals("", qemusMatching(QemuProcess.WORK_DIR_PREFIX), "QEMU processes left running");
  }

  /**
   * {@code pgrep -af} for QEMU processes whose command line matches {@code pattern} (an extended
   * regular expression, so a path's dots match any character): pid and command line, or "".
   */
  public static String qemusMatching(String pattern) throws IOException, InterruptedException {
    Process pgrep = new ProcessBuilder("pgrep", "-af", "qemu-system.*" + pattern).start();
    String out = new String(pgrep.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    pgrep.waitFor();
    return out;
  }
}
