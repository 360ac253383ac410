package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.cow.DiskImage;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.ImageException;
import dev.carryon.cow.ImageFormat;
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
  /** The problem of an image stored in the clear on an encrypted carrier. */
  static final String IN_THE_CLEAR =
      "stored in the clear on an encrypted carrier (its images are LUKS-encrypted qcow2)";

  private BackingLinks() {}

  /** {@link #IN_THE_CLEAR} when carrier image {@code name} is not encrypted, else null. */
  static String inTheClear(CarrierStorage storage, String name) throws IOException {
    try (DiskImage d = CarrierImages.open(storage, name, false)) {
      return d.isEncrypted() ? null : IN_THE_CLEAR;
    } catch (ImageException e) {
      return e.getMessage();
    }
  }

  /**
   * What is wrong with the header of carrier image {@code name}, or null: it must be a qcow2 image
   * of virtual size {@code size} whose backing file is one of {@code accepted}, of format {@code
   * format}, and LUKS-encrypted when the carrier is ({@code encrypted}).
   */
  static String problem(CarrierStorage storage, String name, long size, List<String> accepted,
      String format, boolean encrypted) throws IOException {
    try (DiskImage d = CarrierImages.open(storage, name, false)) {
      if (encrypted && !d.isEncrypted()) {
        return IN_THE_CLEAR;
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

  /**
   * Copies {@code overlay}, a local qcow2 image, to carrier file {@code target}, records {@code
   * backingName} (format {@code backingFormat}) as the copy's backing file, and returns the size
   * and SHA-256 of the copy's final bytes. {@code overlay} is only read; the copy is forced before
   * this returns. Refuses an overlay that is not of virtual size {@code size}, and, when {@code
   * backing} is given, one whose backing file is not that file.
   */
  static FileRecord copyOverlay(
      Path overlay,
      Path backing,
      long size,
      CarrierStorage storage,
      String target,
      String backingName,
      String backingFormat,
      Progress progress)
      throws IOException {
    requireOverlay(overlay, backing, size);
    Durable.copyIn(storage, overlay, target, progress);
    // Header only: the copy's clusters are the overlay's, read through the same backing image,
    // now named as seen from the carrier. The rebase forces the header it writes.
    CarrierImages.rebase(storage, target, backingName, backingFormat);
    return Durable.hash(storage, target);
  }

  /**
   * Refuses {@code overlay} unless it is a qcow2 image of virtual size {@code size} whose backing
   * file, when {@code backing} is given, is that file.
   */
  static void requireOverlay(Path overlay, Path backing, long size) throws IOException {
    String of = backing == null ? "the resumed disk" : backing.toString();
    if (!Files.isRegularFile(overlay)) {
      throw new CarrierException(overlay + ": no such file (the overlay of " + of + ")");
    }
    try (DiskImage d = DiskImage.open(overlay, false)) {
      if (d.format() != ImageFormat.QCOW2) {
        throw new CarrierException(
            overlay + ": not a qcow2 image; expected a qcow2 overlay of " + of);
      }
      if (d.backingFileName() == null) {
        throw new CarrierException(
            overlay + ": has no backing file; expected a qcow2 overlay of " + of);
      }
      if (backing != null) {
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
      }
      if (d.virtualSize() != size) {
        throw new CarrierException(
            overlay + ": virtual size " + d.virtualSize() + " differs from that of " + of + " ("
                + size + ")");
      }
    }
  }
}
