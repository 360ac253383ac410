package dev.carryon.launcher.qemu;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** The image formats a disk chain's files may have, as QEMU's block drivers name them. */
public enum DiskFormat {
  QCOW2("qcow2"),
  RAW("raw");

  /** The first four bytes of every qcow2 image: "QFI\xfb" (docs/interop/qcow2.txt). */
  private static final byte[] QCOW2_MAGIC = {'Q', 'F', 'I', (byte) 0xfb};

  /** QEMU's driver name, as in {@code -blockdev driver=...} and {@code qemu-img -f}. */
  private final String driver;

  DiskFormat(String driver) {
    this.driver = driver;
  }

  public String driver() {
    return driver;
  }

  /**
   * Tells a qcow2 image (by its magic) from a raw one. Anything non-empty that is not qcow2 is raw,
   * the way QEMU itself would take it with an explicit {@code format=raw}.
   *
   * @param what how the user knows this file, for messages ("DISK", "--image")
   * @throws CarryonException with {@link ExitCodes#BAD_INPUT} when the file is missing, a folder,
   *     empty or unreadable
   */
  public static DiskFormat detect(Path image, String what) {
    if (Files.isDirectory(image)) {
      throw new CarryonException(
          ExitCodes.BAD_INPUT, what + " " + image + " is a directory, not a disk image");
    }
    if (!Files.exists(image)) {
      throw new CarryonException(ExitCodes.BAD_INPUT, what + " " + image + ": no such file");
    }
    byte[] head = new byte[QCOW2_MAGIC.length];
    int n;
    try (InputStream in = Files.newInputStream(image)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      throw new CarryonException(
          ExitCodes.BAD_INPUT, what + " " + image + " cannot be read: " + e.getMessage(), e);
    }
    if (n == 0) {
      throw new CarryonException(
          ExitCodes.BAD_INPUT, what + " " + image + " is not a disk image (empty file)");
    }
    return n == head.length && Arrays.equals(head, QCOW2_MAGIC) ? QCOW2 : RAW;
  }
}
