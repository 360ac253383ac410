package dev.carryon.cow.qcow2;

import static dev.carryon.cow.qcow2.Qcow2Format.*;

import dev.carryon.cow.ImageFormatException;
import dev.carryon.cow.io.Buffers;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * The guest-to-host mapping: the active L1 table (in memory) and a cache of L2 tables. Tables are
 * validated when loaded, so a bad entry is refused before anything relies on it. Changed tables
 * stay in memory until {@link #writeL2} and {@link #writeL1}; the image decides when.
 */
final class L2Tables {
  /** Clean L2 tables kept beyond the dirty ones. */
  private static final int CLEAN_CACHE_TABLES = 64;

  private final Storage storage;
  private final Header header;
  private final long clusterSize;
  /** Guest clusters per L2 table. */
  final int perTable;
  /** Longs per L2 entry: 1, or 2 with extended L2 entries. */
  final int longsPerEntry;
  /** The active L1 table: L2 offsets with flags, as stored. */
  private final long[] l1;
  /** L1 entries changed in memory. */
  private final BitSet dirtyL1 = new BitSet();
  /** Loaded L2 tables by L1 index, least recently used first. */
  private final LinkedHashMap<Long, Table> cache = new LinkedHashMap<>(16, 0.75f, true);
  /** Changed tables by L1 index, kept until written. */
  private final TreeMap<Long, Table> dirty = new TreeMap<>();

  /** One L2 table: where it lives and its entries, as stored (two longs each when extended). */
  static final class Table {
    final long offset;
    final long[] entries;

    Table(long offset, long[] entries) {
      this.offset = offset;
      this.entries = entries;
    }
  }

  L2Tables(Storage storage, Header header) throws IOException {
    this.storage = storage;
    this.header = header;
    this.clusterSize = header.clusterSize();
    this.longsPerEntry = header.extendedL2() ? 2 : 1;
    this.perTable = header.l2Entries();
    this.l1 = readL1();
  }

  private long[] readL1() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(header.l1Size * 8);
    if (header.l1Size > 0) {
      storage.readFully(b, header.l1TableOffset);
    }
    long[] t = new long[header.l1Size];
    Buffers.flip(b).asLongBuffer().get(t);
    long fileSize = storage.size();
    for (int i = 0; i < t.length; i++) {
      long off = t[i] & OFFSET_MASK;
      if (off == 0) {
        continue;
      }
      String what = "L2 table " + i + " (offset " + off + ")";
      if ((off & (clusterSize - 1)) != 0) {
        throw new ImageFormatException(header.file, what + " is not aligned to the cluster size");
      }
      if (off + clusterSize > fileSize) {
        throw new ImageFormatException(
            header.file, what + " lies past the end of the file (" + fileSize + " bytes); the file may be truncated");
      }
      header.refuseOverlapWithTables(what, off, clusterSize);
    }
    refuseSharedTables(t);
    return t;
  }

  /**
   * Refuses two L1 entries naming one L2 table: never so in a valid image (only snapshots share
   * tables with the active L1), and a table repeated a million times would make a map of a small
   * file a million times longer.
   */
  private void refuseSharedTables(long[] l1) throws ImageFormatException {
    long[] offsets = Arrays.stream(l1).map(e -> e & OFFSET_MASK).filter(o -> o != 0).sorted().toArray();
    for (int i = 1; i < offsets.length; i++) {
      if (offsets[i] == offsets[i - 1]) {
        long shared = offsets[i];
        int[] users = IntStream.range(0, l1.length).filter(j -> (l1[j] & OFFSET_MASK) == shared).limit(2).toArray();
        throw new ImageFormatException(
            header.file, "L1 entries " + users[0] + " and " + users[1] + " both point at the L2 table at offset "
                + shared);
      }
    }
  }

  int l1Length() {
    return l1.length;
  }

  long l1Entry(long index) {
    return l1[(int) index];
  }

  /** The L2 table at L1 index {@code index}, or null when there is none. */
  Table table(long index) throws IOException {
    if (index >= l1.length || (l1[(int) index] & OFFSET_MASK) == 0) {
      return null;
    }
    Table t = cache.get(index);
    if (t == null) {
      t = load(index, l1[(int) index] & OFFSET_MASK);
      cache.put(index, t);
      evictClean();
    }
    return t;
  }

  private void evictClean() {
    int clean = cache.size() - dirty.size();
    for (Iterator<Map.Entry<Long, Table>> it = cache.entrySet().iterator();
        it.hasNext() && clean > CLEAN_CACHE_TABLES; ) {
      if (!dirty.containsKey(it.next().getKey())) {
        it.remove();
        clean--;
      }
    }
  }

  private Table load(long index, long offset) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) clusterSize);
    storage.readFully(b, offset);
    long[] e = new long[perTable * longsPerEntry];
    Buffers.flip(b).asLongBuffer().get(e);
    validate(index, e);
    return new Table(offset, e);
  }

  /** Refuses entries pointing outside the file or into the image's own tables. */
  private void validate(long index, long[] e) throws IOException {
    long fileSize = storage.size();
    Compressed compressed = new Compressed(storage, header);
    for (int i = 0; i < perTable; i++) {
      long entry = e[i * longsPerEntry];
      long guest = (index * perTable + i) * clusterSize;
      if ((entry & COMPRESSED) != 0) {
        long off = compressed.hostOffset(entry);
        if (off >= fileSize) {
          throw new ImageFormatException(
              header.file, "L2 entry for guest offset " + guest + " points at compressed data at host offset "
                  + off + ", past the end of the file (" + fileSize + " bytes)");
        }
        continue;
      }
      long off = entry & OFFSET_MASK;
      if (off == 0) {
        continue;
      }
      if ((off & (clusterSize - 1)) != 0) {
        throw new ImageFormatException(header.file, dataCluster(guest, off) + " is not aligned to the cluster size");
      }
      if (off >= fileSize) {
        throw new ImageFormatException(
            header.file, "L2 entry for guest offset " + guest + " points at host offset " + off
                + ", past the end of the file (" + fileSize + " bytes)");
      }
      // The message only for an entry that fails: building it for each of a table's thousands of
      // entries was most of an open's cost (bench/merge: 16,384 of them in the target's tables).
      if (header.overlapsTables(off, clusterSize)) {
        header.refuseOverlapWithTables(dataCluster(guest, off), off, clusterSize);
      }
    }
  }

  private static String dataCluster(long guest, long hostOffset) {
    return "data cluster for guest offset " + guest + " (host offset " + hostOffset + ")";
  }

  /**
   * The L2 table at {@code index}, ready to change: a new zeroed table when there is none, a
   * private copy when the L1 entry says it is shared. Marked dirty.
   */
  Table tableForWrite(long index, Refcounts refcounts, java.util.List<long[]> frees)
      throws IOException {
    Table t = table(index);
    long l1e = l1[(int) index];
    if (t == null || (l1e & COPIED) == 0) {
      long offset = refcounts.allocate(1);
      long[] entries = t == null ? new long[perTable * longsPerEntry] : t.entries.clone();
      if (t != null) {
        frees.add(new long[] {t.offset, 1});
      }
      t = new Table(offset, entries);
      cache.put(index, t);
      l1[(int) index] = offset | COPIED;
      dirtyL1.set((int) index);
    }
    dirty.put(index, t);
    return t;
  }

  long dirtyBytes() {
    return dirty.size() * clusterSize;
  }

  boolean l1Changed() {
    return !dirtyL1.isEmpty();
  }

  boolean l2Changed() {
    return !dirty.isEmpty();
  }

  /** Writes the changed L2 tables, in file order. */
  void writeL2() throws IOException {
    ClusterWrites writes = new ClusterWrites(clusterSize);
    for (Table t : dirty.values()) {
      ByteBuffer b = ByteBuffer.allocate((int) clusterSize);
      b.asLongBuffer().put(t.entries);
      writes.add(t.offset, b.array());
    }
    writes.writeTo(storage);
    dirty.clear();
    evictClean();
  }

  /** Writes the changed part of the L1 table, one contiguous range of sectors. */
  void writeL1() throws IOException {
    int first = dirtyL1.nextSetBit(0) / 64 * 64;
    int end = Math.min(l1.length, (dirtyL1.length() + 63) / 64 * 64);
    ByteBuffer b = ByteBuffer.allocate((end - first) * 8);
    b.asLongBuffer().put(l1, first, end - first);
    storage.write(b, header.l1TableOffset + first * 8L);
    dirtyL1.clear();
  }
}
