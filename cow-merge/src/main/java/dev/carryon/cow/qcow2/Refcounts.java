package dev.carryon.cow.qcow2;

import static dev.carryon.cow.qcow2.Qcow2Format.MAX_REFCOUNT_TABLE_BYTES;
import static dev.carryon.cow.qcow2.Qcow2Format.OFFSET_MASK;

import dev.carryon.cow.ImageFormatException;
import dev.carryon.cow.io.Buffers;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The refcount table and its blocks: reading refcounts, changing them in memory, allocating
 * clusters at the end of the image, growing the table, and writing the changes back when the
 * image says so (see {@link Qcow2Image#flush} for the order).
 */
final class Refcounts {
  private final Storage storage;
  private final Header header;
  private final long clusterSize;
  private final int clusterBits;
  /** Bits per refcount: 1 << refcount_order. */
  private final int bits;
  /** Refcounts per refcount block. */
  private final long perBlock;
  /** Largest refcount an entry can hold. */
  private final long max;
  /** Offsets of the refcount blocks, by table index; 0 for none. */
  private long[] table;
  /** Table entries changed in memory since the last write. */
  private final BitSet dirtyEntries = new BitSet();
  /** Where the table lived before it grew, or -1; freed once the header points at the new one. */
  private long oldTableOffset = -1;
  private int oldTableClusters;
  /** Loaded refcount blocks by table index. */
  private final Map<Long, byte[]> blocks = new HashMap<>();
  /** Table indexes of blocks changed in memory since the last write. */
  private final TreeSet<Long> dirtyBlocks = new TreeSet<>();
  /** Cluster index where the next allocation goes; every cluster from here on is free. */
  private long nextFree = -1;

  Refcounts(Storage storage, Header header) throws IOException {
    this.storage = storage;
    this.header = header;
    this.clusterSize = header.clusterSize();
    this.clusterBits = header.clusterBits;
    this.bits = 1 << header.refcountOrder;
    this.perBlock = clusterSize * 8 / bits;
    this.max = bits == 64 ? Long.MAX_VALUE : (1L << bits) - 1;
    this.table = readTable();
  }

  /** Reads the table and refuses entries that point outside the file or into other metadata. */
  private long[] readTable() throws IOException {
    int n = (int) (header.refcountTableClusters * clusterSize / 8);
    ByteBuffer b = ByteBuffer.allocate(n * 8);
    storage.readFully(b, header.refcountTableOffset);
    long[] t = new long[n];
    long fileSize = storage.size();
    Map<Long, Integer> seen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      long e = b.getLong(i * 8);
      long off = e & OFFSET_MASK;
      t[i] = off;
      if (off == 0) {
        continue;
      }
      String what = "refcount block " + i + " (offset " + off + ")";
      if ((off & (clusterSize - 1)) != 0) {
        throw new ImageFormatException(header.file, what + " is not aligned to the cluster size");
      }
      if (off + clusterSize > fileSize) {
        throw new ImageFormatException(
            header.file, what + " lies past the end of the file (" + fileSize + " bytes)");
      }
      header.refuseOverlapWithTables(what, off, clusterSize);
      Integer other = seen.put(off, i);
      if (other != null) {
        throw new ImageFormatException(
            header.file, "refcount table entries " + other + " and " + i + " both point at offset " + off + " (loop)");
      }
    }
    return t;
  }

  /** Offset of refcount block {@code index}, 0 when there is none. */
  long blockOffset(long index) {
    return index < table.length ? table[(int) index] : 0;
  }

  int tableLength() {
    return table.length;
  }

  long perBlock() {
    return perBlock;
  }

  /** Refcount of the cluster at host cluster index {@code cluster}. */
  long get(long cluster) throws IOException {
    byte[] block = block(cluster / perBlock, false);
    return block == null ? 0 : entry(block, cluster % perBlock);
  }

  private byte[] block(long index, boolean create) throws IOException {
    byte[] block = blocks.get(index);
    if (block != null) {
      return block;
    }
    long off = blockOffset(index);
    if (off == 0) {
      if (!create) {
        return null;
      }
      return newBlock(index);
    }
    block = new byte[(int) clusterSize];
    storage.readFully(ByteBuffer.wrap(block), off);
    blocks.put(index, block);
    return block;
  }

  /**
   * Creates refcount block {@code index} (its table entry is 0). Inside the table the block takes
   * the next free cluster and is installed before it is counted, so that a block that lies in its
   * own range counts itself; one that lies further on is counted by a block past it, created the
   * same way (at most twice, as in QEMU). Past the end of the table, the table grows.
   */
  private byte[] newBlock(long index) throws IOException {
    if (index >= table.length) {
      growTable(index);
      return blocks.get(index);
    }
    long cluster = reserve(1);
    byte[] block = install(index, cluster);
    change(cluster, 1);
    return block;
  }

  /** A zeroed block for table index {@code index} at host cluster {@code cluster}, marked dirty. */
  private byte[] install(long index, long cluster) {
    byte[] block = new byte[(int) clusterSize];
    blocks.put(index, block);
    table[(int) index] = cluster << clusterBits;
    dirtyEntries.set((int) index);
    dirtyBlocks.add(index);
    return block;
  }

  /**
   * Moves the table to the end of the image with room for {@code index}, in one area that
   * describes itself (QEMU's qcow2_refcount_area): first a new block for every table index from
   * {@code index} to the area's end that has none, then the new table; every cluster of the area is
   * counted in those blocks (or in existing ones), so nothing here allocates recursively. The table
   * has half again the entries it needs, so that it does not grow again soon. On disk the new
   * blocks and table are written and forced before the header points at the table, and the old
   * table is freed only after that ({@link Qcow2Image#flush}).
   */
  private void growTable(long index) throws IOException {
    long start = nextFree();
    int tableClusters = 0;
    int newBlocks = 0;
    while (true) {
      long areaEnd = start + newBlocks + tableClusters;
      long lastIndex = Math.max(index, (areaEnd - 1) / perBlock);
      long entries = (lastIndex + 1) + (lastIndex + 2) / 2;
      int needTable = (int) Math.min(Integer.MAX_VALUE, Header.ceilDiv(entries * 8, clusterSize));
      if (needTable * clusterSize > MAX_REFCOUNT_TABLE_BYTES) {
        throw new ImageFormatException(
            header.file, "the refcount table would grow past QEMU's limit of 8 MiB to count cluster "
                + start + " (" + (start << clusterBits) + " bytes into the file)");
      }
      int needBlocks = missingBlocks(index, (start + newBlocks + needTable - 1) / perBlock);
      if (needTable == tableClusters && needBlocks == newBlocks) {
        break;
      }
      tableClusters = needTable;
      newBlocks = needBlocks;
    }
    if (oldTableOffset < 0) {
      oldTableOffset = header.refcountTableOffset;
      oldTableClusters = header.refcountTableClusters;
    } else {
      // A table grown earlier in this batch was never pointed at: just give its clusters back.
      for (int i = 0; i < header.refcountTableClusters; i++) {
        change((header.refcountTableOffset >> clusterBits) + i, -1);
      }
    }
    long first = reserve(newBlocks + tableClusters);
    long[] grown = new long[(int) (tableClusters * clusterSize / 8)];
    System.arraycopy(table, 0, grown, 0, table.length);
    table = grown;
    long at = first;
    for (long i = index; at < first + newBlocks; i++) {
      if (!hasBlock(i)) {
        install(i, at++);
      }
    }
    header.refcountTableOffset = (first + newBlocks) << clusterBits;
    header.refcountTableClusters = tableClusters;
    dirtyEntries.set(0, grown.length);
    for (long c = first; c < first + newBlocks + tableClusters; c++) {
      change(c, 1);
    }
  }

  /** Table indexes from {@code from} to {@code to} (inclusive) without a block. */
  private int missingBlocks(long from, long to) {
    int n = 0;
    for (long i = from; i <= to; i++) {
      if (!hasBlock(i)) {
        n++;
      }
    }
    return n;
  }

  private boolean hasBlock(long index) {
    return blocks.containsKey(index) || blockOffset(index) != 0;
  }

  /** First cluster index past everything in use: past the file and the last counted cluster. */
  private long nextFree() throws IOException {
    if (nextFree < 0) {
      long end = Header.ceilDiv(storage.size(), clusterSize);
      for (int i = table.length - 1; i >= 0; i--) {
        if (table[i] == 0) {
          continue;
        }
        byte[] block = block(i, false);
        for (long j = perBlock - 1; j >= 0; j--) {
          if (entry(block, j) != 0) {
            end = Math.max(end, i * perBlock + j + 1);
            break;
          }
        }
        break;
      }
      nextFree = end;
    }
    return nextFree;
  }

  /** Takes {@code n} clusters at the end without counting them; returns the first index. */
  private long reserve(int n) throws IOException {
    long first = nextFree();
    nextFree = first + n;
    return first;
  }

  /** Allocates {@code n} contiguous clusters with refcount 1; returns the host offset. */
  long allocate(int n) throws IOException {
    long first = reserve(n);
    for (int i = 0; i < n; i++) {
      change(first + i, 1);
    }
    return first << clusterBits;
  }

  /** Adds {@code delta} to the refcount of host cluster {@code cluster}. */
  void change(long cluster, long delta) throws IOException {
    long index = cluster / perBlock;
    byte[] block = block(index, true);
    long old = entry(block, cluster % perBlock);
    long now = old + delta;
    if (now < 0 || Long.compareUnsigned(now, max) > 0) {
      throw new ImageFormatException(
          header.file, "refcount of cluster at offset " + (cluster << clusterBits) + " would go from "
              + old + " to " + now + " (range 0.." + max + ")");
    }
    setEntry(block, cluster % perBlock, now);
    dirtyBlocks.add(index);
  }

  boolean isDirty() {
    return !dirtyBlocks.isEmpty() || !dirtyEntries.isEmpty();
  }

  /** Bytes of changed blocks held in memory. */
  long dirtyBytes() {
    return dirtyBlocks.size() * clusterSize;
  }

  /** Whether the table itself changed (new blocks or a move), which needs its own ordering. */
  boolean tableChanged() {
    return !dirtyEntries.isEmpty();
  }

  boolean tableMoved() {
    return oldTableOffset >= 0;
  }

  /** Writes the changed blocks, in offset order (a batch of sequential writes). */
  void writeBlocks() throws IOException {
    for (long index : dirtyBlocks) {
      storage.write(ByteBuffer.wrap(blocks.get(index)), table[(int) index]);
    }
    dirtyBlocks.clear();
  }

  /** Writes the changed table entries: the whole table when it moved, else the dirty clusters. */
  void writeTable() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(table.length * 8);
    b.asLongBuffer().put(table);
    int perCluster = (int) (clusterSize / 8);
    for (int i = dirtyEntries.nextSetBit(0); i >= 0; i = dirtyEntries.nextSetBit(i)) {
      int first = i / perCluster * perCluster;
      int end = Math.min(table.length, first + perCluster);
      storage.write(Buffers.slice(b, first * 8, (end - first) * 8), header.refcountTableOffset + first * 8L);
      i = end;
    }
    dirtyEntries.clear();
  }

  /** After the header points at the moved table: frees the old table's clusters in memory. */
  void releaseOldTable() throws IOException {
    if (oldTableOffset >= 0) {
      for (int i = 0; i < oldTableClusters; i++) {
        change((oldTableOffset >> clusterBits) + i, -1);
      }
      oldTableOffset = -1;
    }
  }

  private long entry(byte[] block, long i) {
    switch (bits) {
      case 64:
        return ByteBuffer.wrap(block).getLong((int) i * 8);
      case 32:
        return ByteBuffer.wrap(block).getInt((int) i * 4) & 0xffffffffL;
      case 16:
        return ByteBuffer.wrap(block).getShort((int) i * 2) & 0xffffL;
      case 8:
        return block[(int) i] & 0xffL;
      default:
        long bit = i * bits;
        return (block[(int) (bit / 8)] >>> (bit % 8)) & max;
    }
  }

  private void setEntry(byte[] block, long i, long v) {
    switch (bits) {
      case 64:
        ByteBuffer.wrap(block).putLong((int) i * 8, v);
        break;
      case 32:
        ByteBuffer.wrap(block).putInt((int) i * 4, (int) v);
        break;
      case 16:
        ByteBuffer.wrap(block).putShort((int) i * 2, (short) v);
        break;
      case 8:
        block[(int) i] = (byte) v;
        break;
      default:
        long bit = i * bits;
        int at = (int) (bit / 8);
        int shift = (int) (bit % 8);
        block[at] = (byte) ((block[at] & ~(max << shift)) | (v << shift));
    }
  }
}
