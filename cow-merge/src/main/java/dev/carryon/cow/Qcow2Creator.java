package dev.carryon.cow;

import dev.carryon.cow.io.FileStorage;
import dev.carryon.cow.io.Storage;
import dev.carryon.cow.io.WritePoints;
import dev.carryon.cow.qcow2.Qcow2;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Creates qcow2 images and changes their recorded backing file, like qemu-img create / rebase -u. */
public final class Qcow2Creator {
  /** QEMU's default cluster size. */
  public static final int DEFAULT_CLUSTER_SIZE = 64 * 1024;

  private Qcow2Creator() {}

  /**
   * Creates an empty version 3 qcow2 image with 64 KiB clusters ({@code qemu-img create -f qcow2
   * -b backingFile -F backingFormat out virtualSize}).
   */
  public static void create(Path out, long virtualSize, String backingFile, String backingFormat)
      throws IOException {
    create(out, virtualSize, backingFile, backingFormat, DEFAULT_CLUSTER_SIZE, 3);
  }

  /**
   * Creates an empty qcow2 image at {@code out}, which must not exist; on failure nothing is left.
   *
   * @param virtualSize guest size in bytes; negative takes the backing file's size
   * @param backingFile name recorded in the header (relative names are relative to {@code out}'s
   *     folder), or null for none
   * @param backingFormat "qcow2" or "raw"; null probes the backing file and records what it is
   * @param clusterSize a power of two from 512 to 2 MiB
   * @param version 3 (compat=1.1) or 2 (compat=0.10)
   */
  public static void create(
      Path out, long virtualSize, String backingFile, String backingFormat, int clusterSize, int version)
      throws IOException {
    long size = virtualSize;
    String format = backingFormat;
    if (backingFile != null) {
      Path resolved = ImageChain.resolveBacking(out, backingFile);
      if (!Files.exists(resolved)) {
        throw new BackingChainException(out, "backing file '" + backingFile + "' (" + resolved + ") does not exist");
      }
      try (DiskImage backing = DiskImage.open(resolved, format == null ? null : formatOf(out, format), false)) {
        size = size < 0 ? backing.virtualSize() : size;
        format = backing.format().id();
      }
    } else if (size < 0) {
      throw new IllegalArgumentException(out + ": a size is needed when there is no backing file");
    }
    // Created outside the try: a file that was already there is not ours to delete.
    Storage storage = FileStorage.create(out);
    try (Storage s = storage) {
      create(s, size, backingFile, format, clusterSize, version);
    } catch (IOException | RuntimeException e) {
      WritePoints.reach(out, "delete incomplete image");
      Files.deleteIfExists(out);
      throw e;
    }
  }

  /**
   * Writes an empty qcow2 image into the empty {@code out}, which stays open; the backing file is
   * only named, never looked up. On failure {@code out} holds an incomplete image for the caller to
   * discard.
   *
   * @param virtualSize guest size in bytes, not negative
   * @param backingFile name recorded in the header, or null for none
   * @param backingFormat "qcow2" or "raw", needed with a backing file
   * @param clusterSize a power of two from 512 to 2 MiB
   * @param version 3 (compat=1.1) or 2 (compat=0.10)
   */
  public static void create(
      Storage out, long virtualSize, String backingFile, String backingFormat, int clusterSize, int version)
      throws IOException {
    if (backingFile != null) {
      if (backingFormat == null) {
        throw new IllegalArgumentException(out.path() + ": a backing format is needed with backing file '" + backingFile + "'");
      }
      formatOf(out.path(), backingFormat);
    }
    Qcow2.create(out, virtualSize, backingFile, backingFile == null ? null : backingFormat, clusterSize, version);
  }

  /**
   * Records a new backing file name and format in {@code image}'s header and changes nothing else
   * ({@code qemu-img rebase -u}); for overlays moved to another folder. Null removes the backing.
   */
  public static void rebaseUnsafe(Path image, String backingFile, String backingFormat) throws IOException {
    try (Storage s = FileStorage.openReadWrite(image)) {
      rebaseUnsafe(s, backingFile, backingFormat);
    }
  }

  /** {@link #rebaseUnsafe(Path, String, String)} on the image in {@code image}, which stays open. */
  public static void rebaseUnsafe(Storage image, String backingFile, String backingFormat) throws IOException {
    if (backingFormat != null) {
      formatOf(image.path(), backingFormat);
    }
    Qcow2.rebaseUnsafe(image, backingFile, backingFormat);
  }

  private static ImageFormat formatOf(Path image, String id) throws UnsupportedImageException {
    ImageFormat f = ImageFormat.fromId(id);
    if (f == null) {
      throw new UnsupportedImageException(image, "backing format '" + id + "' is not supported (qcow2, raw)");
    }
    return f;
  }
}
