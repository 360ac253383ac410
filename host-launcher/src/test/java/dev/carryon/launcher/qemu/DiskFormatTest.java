package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskFormatTest {
  @TempDir Path dir;

  @Test
  void tellsQcow2ByItsMagicAndTakesAnythingElseAsRaw() throws Exception {
    Path qcow2 = dir.resolve("a.qcow2");
    Path raw = dir.resolve("a.img");
    qemuImg("create", "-f", "qcow2", qcow2.toString(), "1M");
    qemuImg("create", "-f", "raw", raw.toString(), "1M");
    assertEquals(DiskFormat.QCOW2, DiskFormat.detect(qcow2, "DISK"));
    assertEquals(DiskFormat.RAW, DiskFormat.detect(raw, "DISK"));
    assertEquals(DiskFormat.RAW, DiskFormat.detect(Files.write(dir.resolve("short"), new byte[] {'Q'}), "DISK"));
  }

  @Test
  void refusesWhatIsNoDiskImage() throws Exception {
    Path empty = Files.createFile(dir.resolve("empty.img"));
    assertBadInput(empty, "DISK " + empty + " is not a disk image (empty file)");
    assertBadInput(dir, "DISK " + dir + " is a directory, not a disk image");
    Path missing = dir.resolve("missing.img");
    assertBadInput(missing, "DISK " + missing + ": no such file");
  }

  private static void assertBadInput(Path image, String message) {
    CarryonException e = assertThrows(CarryonException.class, () -> DiskFormat.detect(image, "DISK"));
    assertEquals(ExitCodes.BAD_INPUT, e.exitCode());
    assertEquals(message, e.getMessage());
  }

  static void qemuImg(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(QemuTool.IMG.locate().toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), "qemu-img " + String.join(" ", args) + ": " + out);
  }
}
