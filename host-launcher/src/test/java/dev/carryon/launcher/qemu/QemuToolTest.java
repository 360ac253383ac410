package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuToolTest {
  @TempDir Path dir;

  private Path executable(String name) throws Exception {
    Path file = Files.writeString(dir.resolve(name), "#!/bin/sh\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    return file;
  }

  @Test
  void findsTheProgramOnPath() throws Exception {
    Path qemu = executable("qemu-system-x86_64");
    Path found = QemuTool.SYSTEM.locate(Map.of("PATH", "/nonexistent:" + dir), new Properties());
    assertEquals(qemu, found);
  }

  @Test
  void theEnvironmentVariableWinsOverPropertyAndPath() throws Exception {
    Path env = executable("from-env");
    Properties props = new Properties();
    props.setProperty("carryon.qemu", executable("from-prop").toString());
    assertEquals(env, QemuTool.SYSTEM.locate(Map.of("CARRYON_QEMU", env.toString()), props));
    assertEquals(
        dir.resolve("from-prop"), QemuTool.SYSTEM.locate(Map.of("PATH", dir.toString()), props));
  }

  @Test
  void missingFromPathIsAnEnvironmentError() {
    CarryonException e =
        assertThrows(
            CarryonException.class,
            () -> QemuTool.SYSTEM.locate(Map.of("PATH", dir.toString()), new Properties()));
    assertEquals(ExitCodes.ENVIRONMENT, e.exitCode());
    assertEquals(
        "QEMU is not installed (qemu-system-x86_64 not found on PATH); install Debian's"
            + " qemu-system-x86",
        e.getMessage());
  }

  @Test
  void aMissingOverrideNamesItsSource() {
    Path missing = dir.resolve("no-qemu");
    CarryonException e =
        assertThrows(
            CarryonException.class,
            () -> QemuTool.IMG.locate(Map.of("CARRYON_QEMU_IMG", missing.toString()), new Properties()));
    assertEquals(ExitCodes.ENVIRONMENT, e.exitCode());
    assertEquals(
        "QEMU's qemu-img is not installed (" + missing + " from CARRYON_QEMU_IMG is not an"
            + " executable file); install Debian's qemu-utils",
        e.getMessage());
  }

  @Test
  void theRealQemuIsInstalledHere() {
    // Tests that boot guests need it; they must fail, not skip, without it.
    assertEquals("qemu-system-x86_64", QemuTool.SYSTEM.locate().getFileName().toString());
    assertEquals("qemu-img", QemuTool.IMG.locate().getFileName().toString());
  }
}
