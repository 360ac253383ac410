package dev.carryon.cow.qcow2;

import static dev.carryon.cow.qcow2.Qcow2Format.*;

import dev.carryon.cow.CheckReport;
import dev.carryon.cow.DiskImage;
import dev.carryon.cow.Encryption;
import dev.carryon.cow.ImageException;
import dev.carryon.cow.ImageSecrets;
import dev.carryon.cow.crypto.Luks;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Entry point to the qcow2 format for the public API in {@code dev.carryon.cow}; everything else
 * in this package stays package-private.
 */
public final class Qcow2 {
  private Qcow2() {}

  /**
   * Opens the qcow2 image in {@code storage}, validating the header and the tables' bounds. A
   * LUKS-encrypted image is unlocked with its secret from {@code secrets} (a wrong one is
   * refused); without one it opens locked: map and check work, data reads and writes are refused.
   */
  public static DiskImage open(Storage storage, ImageSecrets secrets) throws IOException {
    return new Qcow2Image(storage, secrets);
  }

  /** Whether {@code storage} starts with the qcow2 magic. */
  public static boolean hasMagic(Storage storage) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4);
    return storage.read(b, 0) == 4 && b.getInt(0) == MAGIC;
  }

  /**
   * Writes an empty qcow2 image into the empty {@code storage}: header (with the backing format
   * and encryption header extensions), one refcount table, its blocks, the L1 table and, when
   * encrypted, the LUKS header's clusters, every cluster counted once.
   *
   * @param version 2 (compat=0.10) or 3 (compat=1.1)
   * @param encryption LUKS encryption of the data, or null for none
   */
  public static void create(
      Storage storage, long virtualSize, String backingFile, String backingFormat, int clusterSize, int version,
      Encryption encryption) throws IOException {
    int bits = Integer.numberOfTrailingZeros(clusterSize);
    if (Integer.bitCount(clusterSize) != 1 || bits < MIN_CLUSTER_BITS || bits > MAX_CLUSTER_BITS) {
      throw new IllegalArgumentException("cluster size (" + clusterSize + ") must be a power of two from 512 to 2 MiB");
    }
    if (version != 2 && version != 3) {
      throw new IllegalArgumentException("qcow2 version (" + version + ") must be 2 or 3");
    }
    if (virtualSize < 0) {
      throw new IllegalArgumentException("virtual size (" + virtualSize + ") must not be negative");
    }
    if (encryption != null && virtualSize % SECTOR != 0) {
      throw new IllegalArgumentException(
          "virtual size (" + virtualSize + ") of an encrypted image must be a multiple of " + SECTOR + ", as QEMU requires");
    }
    Header h = Header.fresh(storage.path(), version);
    h.clusterBits = bits;
    h.size = virtualSize;
    h.backingFile = backingFile;
    h.backingFormat = backingFile == null ? null : backingFormat;
    long l1Size = h.l1EntriesNeeded();
    if (l1Size * 8 > MAX_L1_BYTES) {
      throw new IllegalArgumentException(
          "virtual size " + virtualSize + " needs an L1 table larger than 32 MiB with " + clusterSize + "-byte clusters");
    }
    h.l1Size = (int) l1Size;
    long l1Clusters = Math.max(1, Header.ceilDiv(l1Size * 8, clusterSize));
    byte[] luks = encryption == null ? null : Luks.create(encryption);
    long luksClusters = luks == null ? 0 : Header.ceilDiv(luks.length, clusterSize);
    long perBlock = clusterSize * 8L / (1 << h.refcountOrder);
    long tableClusters = 1;
    long blocks = 1;
    long total;
    while (true) {
      total = 1 + tableClusters + blocks + l1Clusters + luksClusters;
      long needBlocks = Header.ceilDiv(total, perBlock);
      long needTable = Header.ceilDiv(needBlocks * 8, clusterSize);
      if (needBlocks <= blocks && needTable <= tableClusters) {
        break;
      }
      blocks = Math.max(blocks, needBlocks);
      tableClusters = Math.max(tableClusters, needTable);
    }
    h.refcountTableOffset = clusterSize;
    h.refcountTableClusters = (int) tableClusters;
    long firstBlock = 1 + tableClusters;
    h.l1TableOffset = (firstBlock + blocks) * (long) clusterSize;
    if (luks != null) {
      h.cryptMethod = CRYPT_LUKS;
      h.cryptoOffset = h.l1TableOffset + l1Clusters * clusterSize;
      h.cryptoLength = luks.length;
    }
    ByteBuffer headerCluster = h.encode();
    storage.truncate(total * clusterSize);
    ByteBuffer table = ByteBuffer.allocate((int) (tableClusters * clusterSize));
    for (long i = 0; i < blocks; i++) {
      table.putLong((int) (i * 8), (firstBlock + i) * clusterSize);
    }
    ByteBuffer refblocks = ByteBuffer.allocate((int) (blocks * clusterSize));
    for (long c = 0; c < total; c++) {
      refblocks.putShort((int) (c * 2), (short) 1); // refcount_order 4: 16-bit entries
    }
    storage.write(refblocks, firstBlock * clusterSize);
    storage.write(table, clusterSize);
    if (luks != null) {
      storage.write(ByteBuffer.wrap(luks), h.cryptoOffset);
    }
    storage.write(headerCluster, 0);
    // A created image is complete only once all of it is on disk.
    storage.force();
  }

  /**
   * Changes the backing file name and format recorded in the header, nothing else (like
   * {@code qemu-img rebase -u}); null {@code backingFile} removes the backing file. Unknown
   * extensions are kept; unknown autoclear bits are cleared as the spec asks of any writer.
   */
  public static void rebaseUnsafe(Storage storage, String backingFile, String backingFormat) throws IOException {
    if (!storage.isWritable()) {
      throw new ImageException(storage.path(), "the image is open read-only");
    }
    Header h = Header.read(storage);
    h.backingFile = backingFile;
    h.backingFormat = backingFile == null ? null : backingFormat;
    h.autoclear = 0;
    storage.write(h.encode(), 0);
    // The new backing file name is what the caller moved files for: make it durable.
    storage.force();
  }

  /** Checks refcounts against the metadata; with {@code repairLeaks}, fixes leaked refcounts. */
  public static CheckReport check(Storage storage, boolean repairLeaks) throws IOException {
    Qcow2Image image = new Qcow2Image(storage, ImageSecrets.NONE);
    return new Qcow2Checker(image).check(repairLeaks);
  }
}
