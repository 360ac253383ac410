package dev.carryon.launcher.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.carrier.QemuRun;
import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The QEMU a session runs under ({@link QemuRun}: version, accelerator, machine type), kept in the
 * session's work folder from its start to its end, which records it with the new generation. The
 * machine type may be one the user chose at resume ({@code --cold-boot --machine}), so the end
 * cannot read it from the carrier; and the QEMU may be gone by then ({@code end --commit-disk}).
 */
final class SessionQemu {
  /** File name in the session's work folder. */
  static final String FILE = "qemu-run.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private SessionQemu() {}

  /**
   * Writes {@code run} into {@code workDir}, forced: an end after a host crash must still know the
   * machine type the session's disk ran under.
   */
  static void write(Path workDir, QemuRun run) throws IOException {
    byte[] json =
        JSON.writeValueAsBytes(
            JSON.createObjectNode()
                .put("version", run.version())
                .put("accel", run.accel())
                .put("machineType", run.machineType()));
    try (FileChannel out =
        OwnerOnly.open(
            workDir.resolve(FILE),
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      out.write(ByteBuffer.wrap(json));
      WritePoints.reach(workDir.resolve(FILE), "force the session's QEMU record");
      out.force(true);
    }
  }

  /** What {@link #write} kept in {@code workDir}, or null for a session begun before it was kept. */
  static QemuRun read(Path workDir) throws IOException {
    JsonNode o;
    try {
      o = JSON.readTree(Files.readString(workDir.resolve(FILE), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return null;
    }
    try {
      return new QemuRun(
          o.path("version").asText(), o.path("accel").asText(), o.path("machineType").asText());
    } catch (IllegalArgumentException e) {
      throw new IOException(workDir.resolve(FILE) + ": " + e.getMessage(), e);
    }
  }
}
