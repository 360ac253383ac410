package dev.carryon.carrier;

import dev.carryon.cow.DiskImage;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.ImageException;
import dev.carryon.cow.ImageFormat;
import dev.carryon.cow.Qcow2Creator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The backing file links in the qcow2 headers of carrier images: checking that an image names the
 * backing file the manifest says, and bringing a host's overlay onto the carrier with its link
 * rewritten relative to the carrier (the host's overlay names its backing file by an absolute path
 * that is valid on that host only).
 */
final class BackingLinks {
  private BackingLinks() {}

  /**
   * What is wrong with the header of {@code image}, or null: it must be a qcow2 image of virtual
   * size {@code size} whose backing file is one of {@code accepted}, of format {@code format}.
   */
  static String problem(Path image, long size, List<String> accepted, String format)
      throws IOException {
    try (DiskImage d = DiskImage.open(image, false)) {
      if (d.format() != ImageFormat.QCOW2) {
        return "not a qcow2 image";
      }
      if (d.virtualSize() != size) {
        return "virtual size " + d.virtualSize() + ", the chain's is " + size;
      }
      if (!accepted.contains(d.backingFileName())) {
        return "backing file '"
            + d.backingFileName()
            + "' recorded, '"
            + String.join("' or '", accepted)
            + "' expected";
      }
      if (!format.equals(d.backingFormat())) {
        return "backing format '" + d.backingFormat() + "' recorded, '" + format + "' expected";
      }
      return null;
    } catch (ImageException e) {
      return e.getMessage();
    }
  }

  /** Virtual size of the image at {@code image}. */
  static long virtualSize(Path image) throws IOException {
    try (DiskImage d = DiskImage.open(image, false)) {
      return d.virtualSize();
    }
  }

  /**
   * Copies {@code overlay}, a qcow2 image whose backing file is {@code backing}, to {@code target},
   * records {@code backingName} (format {@code backingFormat}) as the copy's backing file, and
   * returns the size and SHA-256 of the copy's final bytes. {@code overlay} is only read; the copy
   * is forced before this returns. Refuses an overlay of another image or of another size.
   */
  static FileRecord copyOverlay(
      Path overlay,
      Path backing,
      Path target,
      String backingName,
      String backingFormat,
      Progress progress)
      throws IOException {
    requireOverlayOf(overlay, backing);
    Durable.copy(overlay, target, progress);
    // Header only: the copy's clusters are the overlay's, read through the same backing image,
    // now named as seen from the carrier. The rebase forces the header it writes.
    Qcow2Creator.rebaseUnsafe(target, backingName, backingFormat);
    return Durable.hash(target, Progress.NONE);
  }

  private static void requireOverlayOf(Path overlay, Path backing) throws IOException {
    if (!Files.isRegularFile(overlay)) {
      throw new CarrierException(overlay + ": no such file (the overlay of " + backing + ")");
    }
    long size = virtualSize(backing);
    try (DiskImage d = DiskImage.open(overlay, false)) {
      if (d.format() != ImageFormat.QCOW2) {
        throw new CarrierException(
            overlay + ": not a qcow2 image; expected a qcow2 overlay of " + backing);
      }
      if (d.backingFileName() == null) {
        throw new CarrierException(
            overlay + ": has no backing file; expected a qcow2 overlay of " + backing);
      }
      Path named = ImageChain.resolveBacking(overlay, d.backingFileName());
      if (!Files.exists(named) || !Files.isSameFile(named, backing)) {
        throw new CarrierException(
            overlay
                + ": its backing file is "
                + named
                + ", not "
                + backing
                + " (the image it must be an overlay of)");
      }
      if (d.virtualSize() != size) {
        throw new CarrierException(
            overlay
                + ": virtual size "
                + d.virtualSize()
                + " differs from that of "
                + backing
                + " ("
                + size
                + ")");
      }
    }
  }
}
