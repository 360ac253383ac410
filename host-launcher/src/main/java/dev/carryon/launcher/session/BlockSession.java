package dev.carryon.launcher.session;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.CarrierFiles;
import dev.carryon.carrier.ChunkList;
import dev.carryon.carrier.ChunkLists;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.LocalCopies;
import dev.carryon.carrier.LocalFiles;
import dev.carryon.carrier.Progress;
import dev.carryon.cow.Encryption;
import dev.carryon.cow.Qcow2Creator;
import dev.carryon.launcher.blocks.ChunkStore;
import dev.carryon.launcher.blocks.VerifiedImage;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.qemu.DiskFormat;
import dev.carryon.launcher.qemu.QemuLaunch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code resume} does to give QEMU a generation's chain through the session keeper's block
 * server: the chain's trusted chunk lists, the local COW over it, and the chain as QEMU's {@code
 * nbd} nodes. The carrier's images are never read whole here: only the top image's header chunk,
 * verified, for the disk's size.
 */
final class BlockSession {
  /** qcow2's magic, "QFI\xfb". */
  private static final int QCOW2_MAGIC = 0x514649fb;
  /** Largest disk carryon accepts from a header: 2^61 bytes, as QEMU's qcow2 driver. */
  private static final long MAX_SIZE = 1L << 61;

  private BlockSession() {}

  /** The folder of this host's verified chunks ({@link ChunkStore}), shared by every session. */
  static Path chunkStore(Host host) {
    return host.home.root().resolve("chunks");
  }

  /**
   * The chain of {@code g}, base first, as the keeper serves it: each image with the hash of its
   * chunk list, each list read and checked against the manifest's hash and the image's size.
   * Refuses (exit 3) a list that is missing, altered or malformed.
   */
  static List<SessionKeeper.Served> chainOf(Carrier carrier, Generation g) throws IOException {
    ChunkLists lists = carrier.manifest().chunks();
    List<SessionKeeper.Served> served = new ArrayList<>();
    for (String image : g.chain()) {
      ChunkList list;
      try {
        list = carrier.chunkList(image);
      } catch (CarrierException e) {
        throw new CarryonException(
            ExitCodes.BAD_INPUT,
            carrier.location() + " failed validation and was not resumed: " + image + ": "
                + e.getMessage(),
            e);
      }
      served.add(new SessionKeeper.Served(image, lists.byImage().get(image), list));
    }
    return served;
  }

  /**
   * What the session's local COW needs of the carrier: the disk's size and the name its header
   * gives the top of the chain. Taken while the lease's open has the carrier, so that the local COW
   * costs no open of its own (over a link, an open is some ten round trips).
   *
   * @param size the disk's size in bytes (read from the top image's first chunk, verified)
   * @param format the top image's format, {@code raw} or {@code qcow2}
   * @param backing the top image's file on a folder carrier (what {@code end} checks the layer
   *     against), or null for a carrier elsewhere
   * @param described the top image as the carrier describes it (its URL), named when there is no
   *     file
   */
  record LocalCowBase(long size, String format, String backing, String described) {
    /**
     * Reads what the local COW over the top of {@code g}'s chain needs; the first chunk read lands
     * in the chunk store {@code chunks}.
     */
    static LocalCowBase of(Carrier carrier, Generation g, Path chunks) throws IOException {
      String top = g.top();
      ChunkList list = carrier.chunkList(top);
      String format = top.equals(CarrierFiles.BASE_RAW) ? "raw" : "qcow2";
      long size;
      if (format.equals("raw")) {
        size = list.imageSize();
      } else {
        VerifiedImage image =
            new VerifiedImage(
                top, carrier.describe(top), list, carrier::readImage, ChunkStore.in(chunks), p -> {});
        byte[] header = new byte[32];
        image.read(0, header, 0, Math.min(header.length, (int) image.size()));
        ByteBuffer b = ByteBuffer.wrap(header);
        size = b.getLong(24);
        if (b.getInt(0) != QCOW2_MAGIC || size <= 0 || size > MAX_SIZE || size % 512 != 0) {
          throw new CarryonException(
              ExitCodes.BAD_INPUT,
              carrier.describe(top) + ": not a qcow2 image of a usable size (header says "
                  + size + " bytes); not resumed");
        }
      }
      Path local = carrier.localFile(top, noCopies(), Progress.NONE);
      return new LocalCowBase(size, format, local == null ? null : local.toString(), carrier.describe(top));
    }

    /**
     * Makes the session's local COW over the top of the chain, as big as its disk. QEMU never
     * follows the name its header gives the top: it is given the chain node by node. With {@code
     * encryption} (an encrypted carrier's) its data is LUKS-encrypted.
     */
    void create(Path localCow, Encryption encryption) throws IOException {
      if (backing != null) {
        Qcow2Creator.create(
            localCow, size, backing, format, Qcow2Creator.DEFAULT_CLUSTER_SIZE, 3, encryption);
      } else {
        Qcow2Creator.create(localCow, size, null, null, Qcow2Creator.DEFAULT_CLUSTER_SIZE, 3, encryption);
        Qcow2Creator.rebaseUnsafe(localCow, described, format);
      }
    }
  }

  /** {@code g}'s chain below the local COW as the keeper's NBD exports, top first. */
  static List<QemuLaunch.Image> nbdChain(Path socket, Generation g) {
    List<QemuLaunch.Image> chain = new ArrayList<>();
    for (String image : g.chain()) {
      DiskFormat format = image.equals(CarrierFiles.BASE_RAW) ? DiskFormat.RAW : DiskFormat.QCOW2;
      chain.add(0, QemuLaunch.Image.nbd(socket, image, format));
    }
    return chain;
  }

  /**
   * {@code g}'s chain below the local COW as local files (a phone's carrier copied into the host
   * cache), top first: exactly these files, never the backing names their headers record.
   */
  static List<QemuLaunch.Image> fileChain(Generation g, LocalFiles files) {
    List<QemuLaunch.Image> chain = new ArrayList<>();
    for (int i = 0; i < g.chain().size(); i++) {
      DiskFormat format =
          g.chain().get(i).equals(CarrierFiles.BASE_RAW) ? DiskFormat.RAW : DiskFormat.QCOW2;
      chain.add(0, new QemuLaunch.Image(files.chain().get(i), format));
    }
    return chain;
  }

  /** No copies: a carrier that is not a local folder gives null (its images are never copied). */
  private static LocalCopies noCopies() {
    return (storage, name, record, progress) -> null;
  }
}
