package dev.carryon.launcher.qemu;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.cow.io.OwnerOnly;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;

/**
 * The secret that unlocks a session's LUKS-encrypted qcow2 images, as QEMU gets it: a {@code
 * secret} object read from {@code file}, a 0600 file in the session's 0700 work folder, never the
 * command line (which every local user reads in /proc); each qcow2 node names the object in its
 * {@code encrypt.key-secret}. The file goes with the work folder when the session ends.
 *
 * @param file the file holding the secret
 */
public record DiskKey(Path file) {
  /** Id of QEMU's secret object. */
  static final String ID = "disk-secret";
  /** Name of the secret's file in the session's work folder. */
  public static final String FILE = "disk.secret";

  public DiskKey {
    Objects.requireNonNull(file, "file");
  }

  /**
   * Writes {@code secret} (text QEMU accepts: no NUL) into a new owner-only file in {@code workDir}.
   * Not forced: QEMU reads it from the page cache at once, and after a crash the key is derived
   * again from the carrier.
   */
  public static DiskKey write(Path workDir, byte[] secret) throws IOException {
    Path file = workDir.resolve(FILE);
    OwnerOnly.write(file, secret, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    return new DiskKey(file);
  }

  /** The {@code -object} option that reads the secret from its file. */
  List<String> objectArgs() {
    return List.of("-object", "secret,id=" + ID + ",file=" + QemuCommandLine.escape(file.toString()));
  }

  /** Makes qcow2 node {@code node} open its data with the secret. */
  void unlock(ObjectNode node) {
    node.putObject("encrypt").put("format", "luks").put("key-secret", ID);
  }
}
