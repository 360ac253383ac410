package dev.carryon.launcher.qemu;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code qemu-img} operations the launcher needs. */
public final class QemuImg {
  private QemuImg() {}

  /**
   * Creates a qcow2 copy-on-write overlay whose backing file is {@code base}, so a guest can write
   * to {@code overlay} while {@code base} is never written.
   *
   * @param base the backing image; recorded in the overlay by its absolute path
   * @param baseFormat the backing image's format, recorded too, so QEMU never probes it
   * @throws IOException with qemu-img's own message when it fails
   */
  public static void createOverlay(Path base, DiskFormat baseFormat, Path overlay)
      throws IOException {
    run(
        "create", "-q", "-f", "qcow2",
        "-b", base.toAbsolutePath().toString(), "-F", baseFormat.driver(),
        overlay.toString());
  }

  private static void run(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(QemuTool.IMG.locate().toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      int exit = process.waitFor();
      if (exit != 0) {
        throw new IOException(
            "qemu-img " + args[0] + " failed (exit code " + exit + "): " + output.strip().replace('\n', ' '));
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running qemu-img " + args[0]);
    }
  }
}
