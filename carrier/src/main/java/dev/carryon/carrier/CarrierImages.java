package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.ServerSideImages;
import dev.carryon.cow.CheckReport;
import dev.carryon.cow.Checker;
import dev.carryon.cow.DiskImage;
import dev.carryon.cow.Encryption;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.ImageFormat;
import dev.carryon.cow.ImageSecrets;
import dev.carryon.cow.Merger;
import dev.carryon.cow.ProgressListener;
import dev.carryon.cow.Qcow2Creator;
import dev.carryon.cow.io.FileStorage;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The carrier's disk images as cow-merge works on them, whatever the storage: each image is opened
 * by its carrier name in the format the manifest implies ({@link CarrierFiles#formatOf}), never by
 * probing its bytes, and a chain is the list of names the manifest gives, never the backing names
 * the headers record. An image of a local folder is opened in place (a file channel, as fast as
 * cow-merge on any file); any other through {@link CarrierFileStorage}.
 */
final class CarrierImages {
  /** Cluster size of every image carryon creates on a carrier (QEMU's default). */
  private static final int CLUSTER_SIZE = Qcow2Creator.DEFAULT_CLUSTER_SIZE;

  private CarrierImages() {}

  /** Opens carrier image {@code name}; an encrypted one opens locked (its metadata only). */
  static DiskImage open(CarrierStorage storage, String name, boolean writable) throws IOException {
    return open(storage, name, writable, null);
  }

  /**
   * Opens carrier image {@code name}, an encrypted one unlocked by {@code secret} (null: locked);
   * a wrong secret is refused naming the image.
   */
  static DiskImage open(CarrierStorage storage, String name, boolean writable, byte[] secret)
      throws IOException {
    Storage bytes = bytesOf(storage, name, writable);
    try {
      return DiskImage.open(bytes, formatOf(name), secretsOf(secret));
    } catch (IOException | RuntimeException e) {
      bytes.close();
      throw e;
    }
  }

  /** The virtual size of carrier image {@code name}. */
  static long virtualSize(CarrierStorage storage, String name) throws IOException {
    try (DiskImage d = open(storage, name, false)) {
      return d.virtualSize();
    }
  }

  /**
   * Writes {@code name} (replacing any earlier file of that name) as an empty qcow2 v3 image of
   * {@code size} bytes whose header names {@code backing} (format {@code backingFormat}, null for
   * none) as its backing file, LUKS-encrypted with {@code secret} unless it is null; forced before
   * this returns.
   */
  static void createEmpty(CarrierStorage storage, String name, long size, String backing,
      String backingFormat, byte[] secret) throws IOException {
    try (Storage bytes = CarrierFileStorage.create(storage, name)) {
      Qcow2Creator.create(bytes, size, backing, backingFormat, CLUSTER_SIZE, 3,
          secret == null ? null : Encryption.luks(secret));
    }
  }

  /**
   * Records {@code backing} (format {@code backingFormat}) as the backing file in the header of
   * qcow2 image {@code name} and changes nothing else; the header is forced before this returns.
   */
  static void rebase(CarrierStorage storage, String name, String backing, String backingFormat)
      throws IOException {
    try (Storage bytes = bytesOf(storage, name, true)) {
      Qcow2Creator.rebaseUnsafe(bytes, backing, backingFormat);
    }
  }

  /** The structure check of image {@code name}, as {@code qemu-img check} does it. */
  static CheckReport check(CarrierStorage storage, String name) throws IOException {
    try (Storage bytes = bytesOf(storage, name, false)) {
      return Checker.check(bytes, false);
    }
  }

  /**
   * Opens {@code chain} (carrier names, base first) read-only as one chain, each image backed by the
   * one before it in the list.
   */
  static ImageChain openChain(CarrierStorage storage, List<String> chain, byte[] secret)
      throws IOException {
    return chainOf(storage, chain, false, secret);
  }

  /**
   * Merges what image {@code top} defines into image {@code into}, whose own chain below it is
   * {@code below} (top first), and forces {@code into}: where the bytes are when the storage offers
   * it, else here through cow-merge. Merging again writes what {@code into} already holds. The
   * images of an encrypted carrier are opened with {@code secret} (null for a plain carrier) and
   * merged here: a server holds ciphertext only and has no key.
   */
  static void merge(
      CarrierStorage storage, String top, String into, List<String> below, byte[] secret)
      throws IOException {
    merge(storage, top, into, below, secret, ProgressListener.NONE);
  }

  /**
   * {@link #merge(CarrierStorage, String, String, List, byte[])}, telling {@code progress} of the
   * bytes merged here (a merge where the bytes are reports nothing).
   */
  static void merge(
      CarrierStorage storage, String top, String into, List<String> below, byte[] secret,
      ProgressListener progress) throws IOException {
    Optional<ServerSideImages> server = storage.serverSide();
    if (server.isPresent() && secret == null) {
      server.get().merge(top, into, below);
      return;
    }
    List<String> target = new ArrayList<>(below);
    Collections.reverse(target);
    target.add(into);
    try (DiskImage source = open(storage, top, false, secret)) {
      mergeInto(source, storage, target, secret, progress);
    }
  }

  /**
   * Merges what {@code source} (any open image, only read) defines into the top of carrier images
   * {@code chain} (base first; the images below the top only read) and forces the top.
   */
  static void mergeInto(DiskImage source, CarrierStorage storage, List<String> chain,
      byte[] secret, ProgressListener progress) throws IOException {
    try (ImageChain sink = chainOf(storage, chain, true, secret)) {
      // Flushes, so forces, the target before it returns.
      Merger.merge(source, sink, progress);
    }
  }

  /** The image format of carrier image {@code name}. */
  static ImageFormat formatOf(String name) {
    return ImageFormat.fromId(CarrierFiles.formatOf(name));
  }

  /**
   * {@code chain} (base first) as one open chain, each image backed by the one before it; with
   * {@code topWritable} its top is open for writing, the rest only read.
   */
  private static ImageChain chainOf(
      CarrierStorage storage, List<String> chain, boolean topWritable, byte[] secret)
      throws IOException {
    List<DiskImage> topFirst = new ArrayList<>();
    try {
      for (int i = 0; i < chain.size(); i++) {
        topFirst.add(0, open(storage, chain.get(i), topWritable && i == chain.size() - 1, secret));
      }
      return ImageChain.of(topFirst);
    } catch (IOException | RuntimeException e) {
      for (DiskImage d : topFirst) {
        d.close();
      }
      throw e;
    }
  }

  /** The carrier's one disk secret for every image, or none. */
  private static ImageSecrets secretsOf(byte[] secret) {
    return secret == null ? ImageSecrets.NONE : ImageSecrets.of(secret);
  }

  private static Storage bytesOf(CarrierStorage storage, String name, boolean writable)
      throws IOException {
    Optional<Path> local = storage.localFile(name);
    if (local.isPresent()) {
      return writable ? FileStorage.openReadWrite(local.get()) : FileStorage.openReadOnly(local.get());
    }
    return CarrierFileStorage.open(storage, name, writable);
  }
}
