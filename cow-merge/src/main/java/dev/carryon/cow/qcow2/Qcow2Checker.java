package dev.carryon.cow.qcow2;

import static dev.carryon.cow.qcow2.Qcow2Format.*;

import dev.carryon.cow.CheckReport;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Recounts every reference the image's metadata makes (header, L1, L2 and data clusters, refcount
 * structures, snapshot tables, the encryption header) and compares with the stored refcounts, as {@code qemu-img check}
 * does: a stored count below the use is a corruption, above it a leak.
 */
final class Qcow2Checker {
  /** Messages kept in a report; the counts keep counting past this. */
  private static final int MAX_MESSAGES = 100;

  private final Qcow2Image image;
  private final Header header;
  private final Storage storage;
  private final long clusterSize;
  private final int clusterBits;
  private final long fileClusters;
  /** References found, by host cluster index. */
  private int[] used;
  private final List<String> messages = new ArrayList<>();
  private long corruptions;
  private long checkErrors;
  private long allocated;
  private long fragmented;
  private long compressedClusters;
  private long nextContiguous;

  Qcow2Checker(Qcow2Image image) throws IOException {
    this.image = image;
    this.header = image.header();
    this.storage = image.storage();
    this.clusterSize = header.clusterSize();
    this.clusterBits = header.clusterBits;
    this.fileClusters = Header.ceilDiv(storage.size(), clusterSize);
  }

  /** Checks; with {@code repairLeaks}, lowers leaked refcounts to the use and checks again. */
  CheckReport check(boolean repairLeaks) throws IOException {
    long[] result = count();
    long leaks = result[0];
    long leaksFixed = 0;
    if (repairLeaks && leaks > 0) {
      leaksFixed = repair();
      messages.clear();
      corruptions = checkErrors = 0;
      result = count();
      leaks = result[0];
    }
    return new CheckReport(
        storage.path().toString(), "qcow2", checkErrors, corruptions, leaks, 0, leaksFixed,
        result[1], Header.ceilDiv(header.size, clusterSize), allocated, fragmented,
        compressedClusters, List.copyOf(messages));
  }

  /** Recounts; returns {leaks, image end offset}. */
  private long[] count() throws IOException {
    used = new int[(int) Math.max(fileClusters, 1)];
    allocated = fragmented = compressedClusters = 0;
    nextContiguous = 0;
    reference(0, clusterSize, "header");
    reference(header.l1TableOffset, header.l1Size * 8L, "L1 table");
    walkL1(header.l1TableOffset, header.l1Size, true);
    reference(header.refcountTableOffset, header.refcountTableClusters * clusterSize, "refcount table");
    Refcounts rc = image.refcounts();
    for (int i = 0; i < rc.tableLength(); i++) {
      if (rc.blockOffset(i) != 0) {
        reference(rc.blockOffset(i), clusterSize, "refcount block " + i);
      }
    }
    walkSnapshots();
    if (header.cryptoLength > 0) {
      reference(header.cryptoOffset, header.cryptoLength, "encryption header");
    }
    long leaks = 0;
    long highest = -1;
    for (long[] range : countedRanges(rc)) {
      for (long c = range[0]; c < range[1]; c++) {
        long stored = rc.get(c);
        long refs = c < used.length ? used[(int) c] : 0;
        if (stored != 0 || refs != 0) {
          highest = c;
        }
        if (stored < refs) {
          corruptions++;
          note("ERROR cluster " + c + " refcount=" + stored + " reference=" + refs);
        } else if (stored > refs) {
          leaks++;
          note("Leaked cluster " + c + " refcount=" + stored + " reference=" + refs);
        }
      }
    }
    return new long[] {leaks, (highest + 1) * clusterSize};
  }

  /**
   * The clusters whose refcounts are compared, as [first, end) ranges in order: those of the file,
   * then those past its end that a refcount block counts (rare). Only existing blocks are walked:
   * a crafted table entry far out must not cost a walk over every cluster index below it.
   */
  private List<long[]> countedRanges(Refcounts rc) {
    List<long[]> ranges = new ArrayList<>();
    ranges.add(new long[] {0, used.length});
    for (int i = 0; i < rc.tableLength(); i++) {
      long end = (i + 1) * rc.perBlock();
      if (rc.blockOffset(i) != 0 && end > used.length) {
        ranges.add(new long[] {Math.max(used.length, i * rc.perBlock()), end});
      }
    }
    return ranges;
  }

  private void walkL1(long offset, int size, boolean active) throws IOException {
    if (size <= 0) {
      return;
    }
    ByteBuffer l1 = ByteBuffer.allocate(size * 8);
    storage.readFully(l1, offset);
    for (int i = 0; i < size; i++) {
      long e = l1.getLong(i * 8);
      long l2 = e & OFFSET_MASK;
      if (l2 == 0) {
        continue;
      }
      if (!reference(l2, clusterSize, "L2 table " + i)) {
        continue;
      }
      if (active) {
        checkCopied(e, l2, "L1 entry " + i);
      }
      walkL2(l2, i, active);
    }
  }

  private void walkL2(long offset, long l1Index, boolean active) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) clusterSize);
    storage.readFully(b, offset);
    int longs = header.extendedL2() ? 2 : 1;
    int entries = header.l2Entries();
    Compressed compressed = image.compressed();
    for (int i = 0; i < entries; i++) {
      long e = b.getLong(i * longs * 8);
      long guest = (l1Index * entries + i) * clusterSize;
      if ((e & COMPRESSED) != 0) {
        reference(compressed.sectorStart(e), compressed.sectorBytes(e), "compressed cluster for guest offset " + guest);
        allocated++;
        compressedClusters++;
        continue;
      }
      long host = e & OFFSET_MASK;
      if (host == 0) {
        continue;
      }
      if ((host & (clusterSize - 1)) != 0) {
        corruptions++;
        note("ERROR data cluster for guest offset " + guest + " at host offset " + host + " is not aligned");
        continue;
      }
      if (!reference(host, clusterSize, "data cluster for guest offset " + guest)) {
        continue;
      }
      allocated++;
      if (host != nextContiguous) {
        fragmented++;
      }
      nextContiguous = host + clusterSize;
      if (active) {
        checkCopied(e, host, "L2 entry for guest offset " + guest);
      }
    }
  }

  /** The COPIED flag of an active entry must say whether the refcount is exactly one. */
  private void checkCopied(long entry, long host, String what) throws IOException {
    long refcount = image.refcounts().get(host >>> clusterBits);
    boolean copied = (entry & COPIED) != 0;
    if (copied != (refcount == 1)) {
      corruptions++;
      note("ERROR " + what + ": COPIED flag is " + (copied ? "set" : "clear") + " but refcount is " + refcount);
    }
  }

  /**
   * Snapshot table entries and the L1/L2/data clusters they hold. An entry that runs past the end
   * of the file or carries more extra data than QEMU allows ends the walk as a check error.
   */
  private void walkSnapshots() throws IOException {
    long at = header.snapshotsOffset;
    long start = at;
    long fileSize = storage.size();
    for (int n = 0; n < header.nbSnapshots; n++) {
      if (at > fileSize - SNAPSHOT_HEADER_BYTES) {
        checkErrors++;
        note("ERROR snapshot table entry " + n + " at host offset " + at + " lies past the end of the file");
        break;
      }
      ByteBuffer fixed = ByteBuffer.allocate(SNAPSHOT_HEADER_BYTES);
      storage.readFully(fixed, at);
      long l1Offset = fixed.getLong(0);
      int l1Size = fixed.getInt(8);
      int idLength = fixed.getShort(12) & 0xffff;
      int nameLength = fixed.getShort(14) & 0xffff;
      long extra = fixed.getInt(36) & 0xffffffffL;
      if (extra > MAX_SNAPSHOT_EXTRA_DATA) {
        checkErrors++;
        note("ERROR snapshot " + n + " has " + extra + " bytes of extra data (at most " + MAX_SNAPSHOT_EXTRA_DATA + ")");
        break;
      }
      at += Header.ceilDiv(SNAPSHOT_HEADER_BYTES + extra + idLength + nameLength, 8) * 8;
      if (l1Size < 0 || l1Offset < 0 || (l1Offset & (clusterSize - 1)) != 0 || l1Offset > fileSize - l1Size * 8L) {
        checkErrors++;
        note("ERROR snapshot " + n + " L1 table (offset " + l1Offset + ", " + (l1Size & 0xffffffffL)
            + " entries) is not aligned or lies past the end of the file");
        continue;
      }
      reference(l1Offset, l1Size * 8L, "snapshot " + n + " L1 table");
      walkL1(l1Offset, l1Size, false);
    }
    if (header.nbSnapshots > 0) {
      reference(start, Math.min(at, fileSize) - start, "snapshot table");
    }
  }

  /** Counts a reference to the clusters of a host range; false (a corruption) when outside the file. */
  private boolean reference(long offset, long length, String what) {
    if (length <= 0) {
      return true;
    }
    long first = offset >>> clusterBits;
    long last = (offset + length - 1) >>> clusterBits;
    if (last >= used.length) {
      corruptions++;
      note("ERROR " + what + " at host offset " + offset + " lies past the end of the file");
      return false;
    }
    for (long c = first; c <= last; c++) {
      used[(int) c]++;
    }
    return true;
  }

  /** Lowers every leaked refcount to the references found; returns how many were fixed. */
  private long repair() throws IOException {
    Refcounts rc = image.refcounts();
    long fixed = 0;
    for (long[] range : countedRanges(rc)) {
      for (long c = range[0]; c < range[1]; c++) {
        long stored = rc.get(c);
        long refs = c < used.length ? used[(int) c] : 0;
        if (stored > refs) {
          image.changeRefcount(c, refs - stored);
          fixed++;
        }
      }
    }
    image.flush();
    return fixed;
  }

  private void note(String message) {
    if (messages.size() < MAX_MESSAGES) {
      messages.add(message);
    }
  }
}
