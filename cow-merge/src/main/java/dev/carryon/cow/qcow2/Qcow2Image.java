package dev.carryon.cow.qcow2;

import static dev.carryon.cow.qcow2.Qcow2Format.*;

import dev.carryon.cow.DiskImage;
import dev.carryon.cow.Extent;
import dev.carryon.cow.ImageException;
import dev.carryon.cow.ImageFormat;
import dev.carryon.cow.ImageFormatException;
import dev.carryon.cow.ImageKeyException;
import dev.carryon.cow.ImageSecrets;
import dev.carryon.cow.UnsupportedImageException;
import dev.carryon.cow.crypto.Luks;
import dev.carryon.cow.crypto.SectorCipher;
import dev.carryon.cow.io.Buffers;
import dev.carryon.cow.io.CountingStorage;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A qcow2 image: reads through L1/L2 (standard or extended entries, zero and compressed
 * clusters), writes by allocating clusters at the end of the file, and keeps metadata changes in
 * memory until {@link #flush} writes them in QEMU's order: data and refcounts before the L2 entry
 * that points at them, L2 tables before the L1 entry, a new refcount table before the header.
 * Guest data goes through {@link HostData}, which encrypts it in a LUKS-encrypted image.
 */
final class Qcow2Image implements DiskImage {
  /** Zeros to fill buffers from, a block at a time. */
  private static final byte[] ZEROS = new byte[64 << 10];

  /** Flush metadata in the middle of a long write once this much of it is held in memory. */
  private static final long MAX_DIRTY_BYTES = 64L << 20;

  /** The image's bytes, counting what is written to them. */
  private final CountingStorage storage;
  private final Header header;
  private final long clusterSize;
  private final int clusterBits;
  private final boolean extended;
  private final L2Tables tables;
  private final Refcounts refcounts;
  private final Compressed compressed;
  /** Guest data as stored: plain, or through the LUKS cipher. */
  private final HostData data;
  /** Whether the image is LUKS-encrypted and was opened without its secret: no data I/O. */
  private final boolean locked;
  /** Where reads of unallocated ranges go; null reads zeros. */
  private DiskImage backing;
  /** Whether the write checks passed and the autoclear bits are cleared. */
  private boolean writing;
  /** Whether anything was written since the last flush. */
  private boolean unflushed;
  /**
   * The error that stopped a change half way, or null. From then on the image takes no more
   * changes and {@link #close} does not flush: the file stays as a crash at that point would leave
   * it (the ordering of every earlier write keeps that consistent, at worst leaking clusters),
   * whereas writing the rest of the metadata out of its order could corrupt it.
   */
  private IOException failed;
  /** Host ranges (offset, bytes) to give back once the mapping that dropped them is durable. */
  private final List<long[]> frees = new ArrayList<>();
  /**
   * Held while reads look up the mapping and inflate compressed clusters (the L2 cache and the
   * inflated cluster are shared), so that several threads may read at once; the data itself is
   * read outside it.
   */
  private final Object readLock = new Object();
  /** Guest cluster index of {@link #inflated}, -1 for none. */
  private long inflatedCluster = -1;
  private byte[] inflated;

  /** A run of guest bytes with one state; {@code host} is the host offset (DATA) or L2 entry. */
  record Run(ClusterType type, long length, long host) {}

  /** Opens the image; a LUKS-encrypted one is unlocked with its secret, or stays locked without. */
  Qcow2Image(Storage file, ImageSecrets secrets) throws IOException {
    // Everything goes through the counting storage, metadata included.
    this.storage = new CountingStorage(file);
    this.header = Header.read(this.storage);
    SectorCipher cipher = null;
    if (header.cryptMethod == CRYPT_LUKS) {
      Luks luks = Luks.read(this.storage, header.cryptoOffset, header.cryptoLength);
      byte[] secret = secrets.secretFor(file.path());
      if (secret != null) {
        cipher = luks.unlock(secret);
      }
    }
    this.locked = header.cryptMethod == CRYPT_LUKS && cipher == null;
    this.data = new HostData(this.storage, cipher);
    this.clusterSize = header.clusterSize();
    this.clusterBits = header.clusterBits;
    this.extended = header.extendedL2();
    this.tables = new L2Tables(this.storage, header);
    this.refcounts = new Refcounts(this.storage, header);
    this.compressed = new Compressed(this.storage, header);
  }

  Header header() {
    return header;
  }

  L2Tables tables() {
    return tables;
  }

  Refcounts refcounts() {
    return refcounts;
  }

  Compressed compressed() {
    return compressed;
  }

  Storage storage() {
    return storage;
  }

  @Override
  public ImageFormat format() {
    return ImageFormat.QCOW2;
  }

  @Override
  public Path path() {
    return storage.path();
  }

  @Override
  public long virtualSize() {
    return header.size;
  }

  @Override
  public String backingFileName() {
    return header.backingFile;
  }

  @Override
  public String backingFormat() {
    return header.backingFormat;
  }

  @Override
  public boolean isWritable() {
    return storage.isWritable();
  }

  @Override
  public boolean isEncrypted() {
    return header.cryptMethod == CRYPT_LUKS;
  }

  @Override
  public void prepareRead() throws ImageKeyException {
    if (locked) {
      throw new ImageKeyException(
          path(), "the image is encrypted (LUKS) and was opened without its secret: its data cannot be read or written");
    }
  }

  @Override
  public void attachBacking(DiskImage backing) {
    this.backing = backing;
  }

  @Override
  public long bytesWritten() {
    return storage.written();
  }

  // ---- mapping ----

  /** The state of the guest bytes at {@code guestOffset}, for at most {@code maxLength} bytes. */
  Run status(long guestOffset, long maxLength) throws IOException {
    long cluster = guestOffset >>> clusterBits;
    int inCluster = (int) (guestOffset & (clusterSize - 1));
    long l1Index = cluster / tables.perTable;
    int l2Index = (int) (cluster % tables.perTable);
    long limit = Math.min(maxLength, header.size - guestOffset);
    L2Tables.Table t = tables.table(l1Index);
    if (t == null) {
      long end = (l1Index + 1) * tables.perTable * clusterSize;
      return new Run(ClusterType.UNALLOCATED, Math.min(limit, end - guestOffset), 0);
    }
    long e = t.entries[l2Index * tables.longsPerEntry];
    if ((e & COMPRESSED) != 0) {
      return new Run(ClusterType.COMPRESSED, Math.min(limit, clusterSize - inCluster), e);
    }
    long host = e & OFFSET_MASK;
    if (extended) {
      long bitmap = t.entries[l2Index * 2 + 1];
      int subBits = clusterBits - 5;
      int first = inCluster >>> subBits;
      ClusterType type = subclusterType(e, bitmap, first, guestOffset);
      int j = first + 1;
      while (j < SUBCLUSTERS && subclusterType(e, bitmap, j, guestOffset) == type) {
        j++;
      }
      long length = ((long) j << subBits) - inCluster;
      return new Run(type, Math.min(limit, length), type == ClusterType.DATA ? host + inCluster : 0);
    }
    ClusterType type = standardType(e);
    long length = clusterSize - inCluster;
    for (int j = l2Index + 1; j < tables.perTable && length < limit; j++) {
      long f = t.entries[j];
      if (standardType(f) != type
          || (type == ClusterType.DATA && (f & OFFSET_MASK) != host + (j - l2Index) * clusterSize)) {
        break;
      }
      length += clusterSize;
    }
    return new Run(type, Math.min(limit, length), type == ClusterType.DATA ? host + inCluster : 0);
  }

  private ClusterType standardType(long e) {
    if ((e & COMPRESSED) != 0) {
      return ClusterType.COMPRESSED;
    }
    if (header.version >= 3 && (e & ZERO) != 0) {
      return ClusterType.ZERO;
    }
    return (e & OFFSET_MASK) == 0 ? ClusterType.UNALLOCATED : ClusterType.DATA;
  }

  private ClusterType subclusterType(long e, long bitmap, int i, long guestOffset)
      throws ImageFormatException {
    boolean allocated = (bitmap & (1L << i)) != 0;
    boolean zero = (bitmap & (1L << (i + 32))) != 0;
    if (allocated && (zero || (e & OFFSET_MASK) == 0)) {
      throw new ImageFormatException(
          path(), "extended L2 entry for guest offset " + guestOffset + " has subcluster " + i
              + (zero ? " both allocated and zero" : " allocated without a host offset"));
    }
    return allocated ? ClusterType.DATA : zero ? ClusterType.ZERO : ClusterType.UNALLOCATED;
  }

  @Override
  public List<Extent> mapLayer(long start, long length) throws IOException {
    List<Extent> out = new ArrayList<>();
    long end = Math.min(header.size, start + length);
    for (long at = start; at < end; ) {
      Run r = status(at, end - at);
      Extent x;
      switch (r.type) {
        case DATA:
          // As qemu-img map: no host offset for encrypted data, whose stored bytes are ciphertext.
          x = new Extent(at, r.length, 0, true, false, true, isEncrypted() ? -1 : r.host);
          break;
        case COMPRESSED:
          x = new Extent(at, r.length, 0, true, false, true, -1);
          break;
        case ZERO:
          x = new Extent(at, r.length, 0, true, true, false, -1);
          break;
        default:
          x = new Extent(at, r.length, 0, false, header.backingFile == null, false, -1);
      }
      Extent.addJoined(out, x);
      at += r.length;
    }
    return out;
  }

  // ---- reading ----

  @Override
  public void read(ByteBuffer dst, long guestOffset) throws IOException {
    checkRange(guestOffset, dst.remaining());
    prepareRead();
    long at = guestOffset;
    while (dst.hasRemaining()) {
      Run r;
      synchronized (readLock) {
        r = status(at, dst.remaining());
      }
      int n = (int) r.length;
      ByteBuffer part = Buffers.slice(dst, dst.position(), n);
      switch (r.type) {
        case DATA:
          data.read(part, r.host);
          break;
        case COMPRESSED:
          // Stored unencrypted even in an encrypted image: QEMU writes and reads them so.
          synchronized (readLock) {
            part.put(inflate(at >>> clusterBits, r.host), (int) (at & (clusterSize - 1)), n);
          }
          break;
        case ZERO:
          fillZeros(part);
          break;
        default:
          readBacking(part, at);
      }
      Buffers.position(dst, dst.position() + n);
      at += n;
    }
  }

  /**
   * Reads the pieces as {@link #read(ByteBuffer, long)} does each, but data that continues the
   * previous piece's data in the file (and so lands next to it in {@code dst}) is read with it,
   * in one storage read.
   */
  @Override
  public void read(ByteBuffer dst, long[] guestOffsets, int[] lengths) throws IOException {
    checkPieces(guestOffsets, lengths, dst);
    prepareRead();
    // Data read next, not yet asked for: pending bytes of the file at pendingHost, into dst at
    // pendingAt.
    int pendingAt = dst.position();
    int pending = 0;
    long pendingHost = -1;
    int into = dst.position();
    for (int i = 0; i < guestOffsets.length; i++) {
      long at = guestOffsets[i];
      for (long end = at + lengths[i]; at < end; ) {
        Run r;
        synchronized (readLock) {
          r = status(at, end - at);
        }
        int n = (int) r.length;
        if (r.type == ClusterType.DATA && pending > 0 && r.host == pendingHost + pending) {
          pending += n;
        } else {
          if (pending > 0) {
            data.read(Buffers.slice(dst, pendingAt, pending), pendingHost);
            pending = 0;
          }
          if (r.type == ClusterType.DATA) {
            pendingAt = into;
            pendingHost = r.host;
            pending = n;
          } else {
            read(Buffers.slice(dst, into, n), at);
          }
        }
        into += n;
        at += n;
      }
    }
    if (pending > 0) {
      data.read(Buffers.slice(dst, pendingAt, pending), pendingHost);
    }
    Buffers.position(dst, into);
  }

  private void readBacking(ByteBuffer part, long guestOffset) throws IOException {
    long inBacking = backing == null ? 0 : Math.max(0, Math.min(part.remaining(), backing.virtualSize() - guestOffset));
    if (inBacking > 0) {
      ByteBuffer b = Buffers.slice(part, part.position(), (int) inBacking);
      backing.read(b, guestOffset);
      Buffers.position(part, part.position() + (int) inBacking);
    }
    fillZeros(part);
  }

  private byte[] inflate(long guestCluster, long l2Entry) throws IOException {
    if (inflatedCluster != guestCluster) {
      if (inflated == null) {
        inflated = new byte[(int) clusterSize];
      }
      inflatedCluster = -1;
      compressed.read(l2Entry, inflated, guestCluster << clusterBits);
      inflatedCluster = guestCluster;
    }
    return inflated;
  }

  static void fillZeros(ByteBuffer b) {
    while (b.hasRemaining()) {
      b.put(ZEROS, 0, Math.min(ZEROS.length, b.remaining()));
    }
  }

  /** Refuses pieces outside the virtual size, or more bytes of them than {@code b} has left. */
  private void checkPieces(long[] guestOffsets, int[] lengths, ByteBuffer b) {
    long total = 0;
    for (int i = 0; i < guestOffsets.length; i++) {
      checkRange(guestOffsets[i], lengths[i]);
      total += lengths[i];
    }
    if (total > b.remaining()) {
      throw new IllegalArgumentException(
          path() + ": pieces of " + total + " bytes, a buffer of " + b.remaining());
    }
  }

  private void checkRange(long guestOffset, long length) {
    if (guestOffset < 0 || length < 0 || guestOffset > header.size - length) {
      throw new IllegalArgumentException(
          path() + ": guest range " + guestOffset + "+" + length + " lies outside the virtual size " + header.size);
    }
  }

  // ---- writing ----

  /** Refuses to write to images this engine cannot keep consistent; changes nothing. */
  private void checkWritable() throws IOException {
    if (!storage.isWritable()) {
      throw new ImageException(path(), "the image is open read-only");
    }
    if ((header.incompatible & INCOMPAT_DIRTY) != 0) {
      throw new ImageFormatException(
          path(), "the image is dirty (lazy refcounts were not written back); run qemu-img check -r all first");
    }
    if (header.nbSnapshots != 0) {
      throw new UnsupportedImageException(
          path(), "writing to an image with internal snapshots (" + header.nbSnapshots + ") is not supported");
    }
  }

  /** Before the first change: the checks, then the autoclear bits cleared as the spec demands. */
  private void beginWriting() throws IOException {
    if (failed != null) {
      throw new ImageException(
          path(), "an earlier change failed (" + failed.getMessage() + "); the image was left as a crash"
              + " would leave it and takes no more writes", failed);
    }
    if (writing) {
      return;
    }
    checkWritable();
    if (header.autoclear != 0) {
      header.autoclear = 0;
      writeHeaderField(OFF_AUTOCLEAR_FEATURES, 8);
      // The bits must be off on disk before any write could make the data they vouch for stale.
      storage.force();
    }
    writing = true;
  }

  private void writeHeaderField(int offset, int length) throws IOException {
    storage.write(Buffers.slice(header.encode(), offset, length), offset);
  }

  @Override
  public void prepareWrite(long guestOffset, long length) throws IOException {
    checkRange(guestOffset, length);
    checkWritable();
    prepareRead();
    long perTableBytes = tables.perTable * clusterSize;
    for (long i = guestOffset / perTableBytes; i * perTableBytes < guestOffset + length; i++) {
      tables.table(i);
    }
  }

  /** A change to the image; see {@link #changing}. */
  private interface Change {
    void run() throws IOException;
  }

  /** Runs {@code change}; if it fails, the image is {@link #failed} from then on. */
  private void changing(Change change) throws IOException {
    beginWriting();
    try {
      change.run();
    } catch (IOException e) {
      failed = e;
      throw e;
    } catch (RuntimeException | Error e) {
      failed = new IOException(e.toString(), e);
      throw e;
    }
  }

  @Override
  public void write(ByteBuffer src, long guestOffset) throws IOException {
    write(src, new long[] {guestOffset}, new int[] {src.remaining()});
  }

  @Override
  public void write(ByteBuffer src, long[] guestOffsets, int[] lengths) throws IOException {
    checkPieces(guestOffsets, lengths, src);
    prepareRead();
    changing(() -> {
      HostRun run = new HostRun();
      int at = src.position();
      for (int i = 0; i < guestOffsets.length; i++) {
        writeData(src, at, lengths[i], guestOffsets[i], run);
        at += lengths[i];
      }
      run.write();
      Buffers.position(src, at);
    });
  }

  /** Writes {@code length} bytes of {@code src} from {@code from} at {@code guestOffset}. */
  private void writeData(ByteBuffer src, int from, int length, long guestOffset, HostRun run) throws IOException {
    unflushed = true;
    long at = guestOffset;
    for (int index = from; index < from + length; ) {
      int inCluster = (int) (at & (clusterSize - 1));
      int n = (int) Math.min(clusterSize - inCluster, from + length - index);
      writeCluster(at >>> clusterBits, inCluster, src, index, n, run);
      index += n;
      at += n;
      if (tables.dirtyBytes() + refcounts.dirtyBytes() > MAX_DIRTY_BYTES) {
        // Data first: the metadata written next may point at it.
        run.write();
        writeMetadata();
        // The rest of this write changes metadata again.
        unflushed = true;
      }
    }
  }

  /** Consecutive pieces of the caller's buffer bound for consecutive host bytes: one write. */
  private final class HostRun {
    private ByteBuffer source;
    private int from;
    private int length;
    private long host;

    void add(ByteBuffer src, int index, int n, long hostOffset) throws IOException {
      if (source == src && index == from + length && hostOffset == host + length) {
        length += n;
        return;
      }
      write();
      source = src;
      from = index;
      length = n;
      host = hostOffset;
    }

    void write() throws IOException {
      if (source != null) {
        data.write(Buffers.slice(source, from, length), host);
        source = null;
      }
    }
  }

  /** Writes {@code n} bytes of {@code src} from {@code index} at {@code inCluster} of a guest cluster. */
  private void writeCluster(long cluster, int inCluster, ByteBuffer src, int index, int n, HostRun run)
      throws IOException {
    long l1Index = cluster / tables.perTable;
    int at = (int) (cluster % tables.perTable) * tables.longsPerEntry;
    long e = entry(l1Index, at);
    long bitmap = extended ? entry(l1Index, at + 1) : 0;
    long host = e & OFFSET_MASK;
    boolean owned = (e & COPIED) != 0 && (e & COMPRESSED) == 0 && host != 0;
    boolean plainData =
        extended ? bitmap == SUBCLUSTERS_ALLOCATED : standardType(e) == ClusterType.DATA;
    if (owned && plainData) {
      run.add(src, index, n, host + inCluster);
      return;
    }
    long guestStart = cluster << clusterBits;
    int visible = (int) Math.min(clusterSize, header.size - guestStart);
    long target = owned ? host : refcounts.allocate(1);
    if (inCluster == 0 && n == visible) {
      run.add(src, index, n, target);
    } else {
      // Part of the cluster: the rest keeps what the guest sees now (backing data, zeros).
      byte[] whole = new byte[visible];
      read(ByteBuffer.wrap(whole), guestStart);
      Buffers.get(src, index, whole, inCluster, n);
      run.write();
      data.write(ByteBuffer.wrap(whole), target);
    }
    long[] entries = tables.tableForWrite(l1Index, refcounts, frees).entries;
    if (!owned) {
      release(e);
    }
    entries[at] = target | COPIED;
    if (extended) {
      entries[at + 1] = SUBCLUSTERS_ALLOCATED;
    }
  }

  private long entry(long l1Index, int at) throws IOException {
    L2Tables.Table t = tables.table(l1Index);
    return t == null ? 0 : t.entries[at];
  }

  /** Adds {@code delta} to a host cluster's refcount (repairs); written by the next flush. */
  void changeRefcount(long hostCluster, long delta) throws IOException {
    changing(() -> {
      unflushed = true;
      refcounts.change(hostCluster, delta);
    });
  }

  /** Schedules the host clusters a dropped L2 entry held to be freed after the next mapping write. */
  private void release(long e) {
    if ((e & COMPRESSED) != 0) {
      frees.add(new long[] {compressed.sectorStart(e), compressed.sectorBytes(e)});
    } else if ((e & OFFSET_MASK) != 0) {
      frees.add(new long[] {e & OFFSET_MASK, clusterSize});
    }
  }

  @Override
  public void writeZeroes(long guestOffset, long length) throws IOException {
    checkRange(guestOffset, length);
    // Zeros may become written sectors (part of a cluster, version 2): encrypted like any data.
    prepareRead();
    changing(() -> zeroRange(guestOffset, length));
  }

  private void zeroRange(long guestOffset, long length) throws IOException {
    unflushed = true;
    long at = guestOffset;
    long end = guestOffset + length;
    ByteBuffer zeros = null;
    while (at < end) {
      long cluster = at >>> clusterBits;
      int inCluster = (int) (at & (clusterSize - 1));
      int n = (int) Math.min(clusterSize - inCluster, end - at);
      int visible = (int) Math.min(clusterSize, header.size - (cluster << clusterBits));
      if (inCluster == 0 && n == visible && (header.version >= 3 || extended)) {
        zeroCluster(cluster);
      } else if (header.version >= 3 || header.backingFile != null || status(at, n).type != ClusterType.UNALLOCATED) {
        if (zeros == null) {
          zeros = ByteBuffer.allocate((int) clusterSize);
        }
        HostRun run = new HostRun();
        writeData(zeros, 0, n, at, run);
        run.write();
      }
      at += n;
    }
  }

  /** Marks a whole cluster as reading zeros, keeping an owned host cluster allocated. */
  private void zeroCluster(long cluster) throws IOException {
    long l1Index = cluster / tables.perTable;
    int at = (int) (cluster % tables.perTable) * tables.longsPerEntry;
    long e = entry(l1Index, at);
    long[] entries = tables.tableForWrite(l1Index, refcounts, frees).entries;
    boolean owned = (e & COPIED) != 0 && (e & COMPRESSED) == 0 && (e & OFFSET_MASK) != 0;
    if (!owned) {
      release(e);
    }
    long keep = owned ? (e & OFFSET_MASK) | COPIED : 0;
    if (extended) {
      entries[at] = keep;
      entries[at + 1] = SUBCLUSTERS_ZERO;
    } else {
      entries[at] = keep | ZERO;
    }
  }

  /**
   * Writes the metadata changed in memory, in the order that leaves a consistent image (at worst
   * leaked clusters) at any cut, with a force at each point the order depends on.
   */
  @Override
  public void flush() throws IOException {
    if (unflushed) {
      changing(this::writeMetadata);
    }
  }

  private void writeMetadata() throws IOException {
    if (refcounts.isDirty()) {
      refcounts.writeBlocks();
      if (refcounts.tableChanged()) {
        // New refcount blocks must be on disk before a table entry points at them.
        storage.force();
        refcounts.writeTable();
        if (refcounts.tableMoved()) {
          // The new table must be on disk before the header points at it.
          storage.force();
          writeHeaderField(OFF_REFCOUNT_TABLE_OFFSET, 12);
          // The header must point at the new table before the old one is freed.
          storage.force();
          refcounts.releaseOldTable();
          refcounts.writeBlocks();
        }
      }
    }
    // Data and refcounts must be durable before an L2 entry points at newly allocated clusters.
    storage.force();
    if (tables.l2Changed()) {
      tables.writeL2();
      if (tables.l1Changed()) {
        // New L2 tables must be durable before the L1 entry points at them.
        storage.force();
        tables.writeL1();
      }
      // The new mapping must be durable before the clusters it dropped are freed.
      storage.force();
    }
    if (!frees.isEmpty()) {
      for (long[] f : frees) {
        long first = f[0] >>> clusterBits;
        long last = (f[0] + f[1] - 1) >>> clusterBits;
        for (long c = first; c <= last; c++) {
          refcounts.change(c, -1);
        }
      }
      frees.clear();
      refcounts.writeBlocks();
      // Freed refcounts durable; a cut before this point only leaks the dropped clusters.
      storage.force();
    }
    unflushed = false;
  }

  @Override
  public void close() throws IOException {
    try {
      if (failed == null) {
        flush();
      }
    } finally {
      storage.close();
    }
  }
}
