package dev.carryon.sync.host;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.ResetResult;
import dev.carryon.carrier.SyncRecord;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.cow.DiskImage;
import dev.carryon.cow.Extent;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.Mapper;
import dev.carryon.cow.OrderedReads;
import dev.carryon.cow.ProgressListener;
import dev.carryon.cow.io.CountingStorage;
import dev.carryon.cow.io.FileStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Folds a carrier's current disk content into a host image (the first PC's own qcow2 or raw copy of
 * the VM disk), writing only what differs, then records on the carrier which generation the image
 * holds; optionally resets the carrier afterwards.
 *
 * <h2>What is compared</h2>
 *
 * The disk is compared in 64 KiB clusters. Unless the image's record is stale ({@link
 * SyncMode#FULL}), only clusters allocated above the base in the current chain are candidates (the
 * base is where the image started, so elsewhere it already holds the base): the cost follows the
 * carrier's COW, not the disk size. A candidate is read from both; only differing ones are written.
 *
 * <h2>Is it the right disk?</h2>
 *
 * Before anything is written, every differing candidate must hold, sector by sector, either the
 * carrier's current content or an older content the image may rightly have: the base (first sync)
 * or a kept generation from the recorded one on (a cut sync leaves a mix of the old and the new
 * generation). And a sample of 64 clusters spread evenly over the disk (where a filesystem keeps
 * its superblocks and group descriptors: a different disk differs there) must match the carrier
 * where the carrier has no changes. The SHA-256 of the image at that sample is kept in the sync
 * record: it tells an unchanged image apart cheaply (a second sync with no new session reads 4 MiB
 * of a 1 GiB disk and writes nothing), and it is the evidence a {@link SyncMode#FULL} sync relies
 * on. A disk that was changed since its sync only where neither the carrier nor the sample looks
 * is not detected: reading all of it would cost what a full copy costs.
 *
 * <h2>Order of writes</h2>
 *
 * The image is written through cow-merge (qcow2 metadata in its safe order) and flushed, then the
 * sync record is committed on the carrier. A cut leaves the image partly newer but recorded as
 * before; the next run accepts that mix (see above) and finishes the job. The image's content only
 * ever moves towards the carrier's.
 */
public final class HostSync {
  /** Bytes compared and written as one piece. */
  static final int CLUSTER = 64 << 10;

  /** Clusters in the sample, spread evenly over the disk. */
  static final int SAMPLES = 64;

  /** Granularity of the old-or-new check: a torn write cannot split a sector. */
  private static final int SECTOR = 512;

  /** A cluster of zeros, to tell zero clusters apart (they are written as zeros). */
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(CLUSTER);

  /** The carrier, open for writing. */
  private final Carrier carrier;

  /** The current generation's chain, read through cow-merge. */
  private final ImageChain current;

  /** The host image and its own backing chain, if any; written at the top. */
  private final ImageChain host;

  /** Bytes written to the host image's file. */
  private final CountingStorage counter;

  /** Clusters of the disk. */
  private final long clusters;

  /** Told of the bytes compared and written so far (see {@link #advance}). */
  private final ProgressListener progress;

  /** Bytes compared and written so far. */
  private long done;

  /**
   * Bytes to compare and write in all: the candidates twice until the compare knows how many
   * differ, then the candidates and the differing ones (so the bar only moves forward).
   */
  private long total;

  private HostSync(
      Carrier carrier,
      ImageChain current,
      ImageChain host,
      CountingStorage counter,
      ProgressListener progress) {
    this.carrier = carrier;
    this.current = current;
    this.host = host;
    this.counter = counter;
    this.clusters = (current.virtualSize() + CLUSTER - 1) / CLUSTER;
    this.progress = progress;
  }

  /**
   * Syncs the host image {@code hostImage} (on host {@code hostId}) from the carrier in {@code
   * storage}, and resets the carrier when {@code resetAbove} is not negative and the carrier's
   * images above its base take more than {@code resetAbove} bytes. Refuses while a session holds
   * the carrier's lease ({@link dev.carryon.carrier.LeaseException}) and refuses an image that is
   * not a copy of the carrier's disk ({@link SyncRefusedException}), both before writing anything.
   */
  public static SyncResult sync(
      CarrierStorage storage, Path hostImage, String hostId, long resetAbove) throws IOException {
    return sync(storage, hostImage, hostId, resetAbove, ProgressListener.NONE, Progress.NONE);
  }

  /**
   * {@link #sync(CarrierStorage, Path, String, long)}, telling {@code progress} of the bytes the
   * fold has compared and written so far, then {@code resetting} how far the reset is, if any.
   */
  public static SyncResult sync(
      CarrierStorage storage,
      Path hostImage,
      String hostId,
      long resetAbove,
      ProgressListener progress,
      Progress resetting)
      throws IOException {
    try (Carrier c = Carrier.openForWrite(storage, "carryon sync")) {
      c.requireFree("sync");
      Generation g = c.current();
      String image = hostImage.toRealPath().toString();
      long cowBytes = cowBytes(c);
      SyncResult r;
      try (ImageChain current = c.openChain(g.chain())) {
        CountingStorage counter = new CountingStorage(FileStorage.openReadWrite(hostImage));
        DiskImage top;
        try {
          top = DiskImage.open(counter, null);
        } catch (IOException | RuntimeException e) {
          counter.close();
          throw e;
        }
        try (ImageChain host = ImageChain.over(top)) {
          r = new HostSync(c, current, host, counter, progress).run(g, hostId, image, cowBytes);
        }
      }
      if (resetAbove < 0 || cowBytes <= resetAbove) {
        return r;
      }
      ResetResult reset = c.reset(resetting);
      return new SyncResult(
          r.generation(),
          r.mode(),
          r.clustersCompared(),
          r.clustersWritten(),
          r.bytesWritten(),
          r.fileBytesWritten(),
          r.cowBytes(),
          reset);
    }
  }

  /** Bytes of the carrier's current chain above its base (the COW and the layers), as recorded. */
  public static long cowBytes(Carrier c) {
    List<String> chain = c.current().chain();
    long total = 0;
    for (String name : chain.subList(1, chain.size())) {
      total += c.manifest().files().get(name).size();
    }
    return total;
  }

  private SyncResult run(Generation g, String hostId, String image, long cowBytes)
      throws IOException {
    if (host.virtualSize() != current.virtualSize()) {
      throw new SyncRefusedException(
          SyncRefusedException.Kind.SIZE_MISMATCH,
          host.top().path()
              + ": virtual size "
              + host.virtualSize()
              + " differs from the carrier's disk ("
              + current.virtualSize()
              + " bytes); refusing to sync");
    }
    Optional<SyncRecord> record = carrier.manifest().sync(hostId, image);
    long[] sample = sampleClusters();
    if (record.isPresent()
        && record.get().generation() == g.number()
        && record.get().sample().equals(digest(host, sample))) {
      return new SyncResult(g.number(), SyncMode.UP_TO_DATE, 0, 0, 0, 0, cowBytes, null);
    }
    SyncMode mode = modeOf(record, g);
    List<ImageChain> older = new ArrayList<>();
    try {
      BitSet candidates;
      if (mode == SyncMode.FULL) {
        requireSample(record.get(), sample);
        candidates = new BitSet();
        candidates.set(0, Math.toIntExact(clusters));
      } else {
        candidates = aboveBase();
        older = olderContents(record, g);
        requireBaseAtSample(sample, candidates);
      }
      total = 2 * bytesOf(candidates);
      BitSet differing = compare(candidates, older, mode != SyncMode.FULL);
      total = done + bytesOf(differing);
      long bytes = write(differing);
      carrier.recordSync(
          new SyncRecord(
              hostId,
              image,
              g.number(),
              Instant.now().truncatedTo(ChronoUnit.MILLIS),
              digest(host, sample)));
      return new SyncResult(
          g.number(),
          mode,
          candidates.cardinality(),
          differing.cardinality(),
          bytes,
          counter.written(),
          cowBytes,
          null);
    } finally {
      for (ImageChain c : older) {
        c.close();
      }
    }
  }

  private SyncMode modeOf(Optional<SyncRecord> record, Generation g) {
    if (record.isEmpty()) {
      return SyncMode.FIRST;
    }
    long synced = record.get().generation();
    return synced == g.number() || carrier.manifest().generation(synced).isPresent()
        ? SyncMode.INCREMENTAL
        : SyncMode.FULL;
  }

  /**
   * Chains of the contents the host image may rightly hold where it differs from the current one:
   * every kept generation older than the current one from the recorded one on, and, with no record,
   * the base. The current chain's base is read alone for that.
   */
  private List<ImageChain> olderContents(Optional<SyncRecord> record, Generation g)
      throws IOException {
    long from = record.map(SyncRecord::generation).orElse(0L);
    List<ImageChain> older = new ArrayList<>();
    try {
      for (Generation k : carrier.checkpoints()) {
        if (k.number() >= from && k.number() != g.number()) {
          older.add(carrier.openChain(k.chain()));
        }
      }
      if (record.isEmpty()) {
        older.add(carrier.openChain(g.chain().subList(0, 1)));
      }
    } catch (IOException | RuntimeException e) {
      for (ImageChain c : older) {
        c.close();
      }
      throw e;
    }
    return older;
  }

  /** Clusters some image above the base in the current chain defines (data or zeros). */
  private BitSet aboveBase() throws IOException {
    int baseDepth = current.layers().size() - 1;
    BitSet set = new BitSet();
    for (Extent x : Mapper.map(current)) {
      if (x.present() && x.depth() < baseDepth) {
        set.set(Math.toIntExact(x.start() / CLUSTER), Math.toIntExact((x.end() - 1) / CLUSTER) + 1);
      }
    }
    return set;
  }

  /** The sample: {@value #SAMPLES} clusters spread evenly, the first cluster first. */
  private long[] sampleClusters() {
    return java.util.stream.LongStream.range(0, SAMPLES)
        .map(i -> i * clusters / SAMPLES)
        .distinct()
        .toArray();
  }

  /** Where the carrier has no changes, the image must hold the base, as the carrier does. */
  private void requireBaseAtSample(long[] sample, BitSet candidates) throws IOException {
    for (long k : sample) {
      if (!candidates.get((int) k) && !Arrays.equals(read(current, k), read(host, k))) {
        throw wrongDisk(
            k,
            "where the carrier has no changes since its base: it is not a copy of the carrier's"
                + " disk, or it was changed since");
      }
    }
  }

  /** A stale record's sample must still read as recorded (or as the current generation). */
  private void requireSample(SyncRecord record, long[] sample) throws IOException {
    String found = digest(host, sample);
    if (!found.equals(record.sample()) && !found.equals(digest(current, sample))) {
      throw new SyncRefusedException(
          SyncRefusedException.Kind.WRONG_DISK,
          host.top().path()
              + ": does not hold what it held after its sync to generation "
              + record.generation()
              + " (its sample of "
              + sample.length
              + " clusters differs); it is not that disk, or it was changed since; refusing to"
              + " sync");
    }
  }

  /**
   * The candidates where the image differs from the current content; with {@code check}, each
   * must hold an older content the image may rightly have, sector by sector. One pass: the current
   * chain, the image and (with {@code check}) the first older content are read ahead together
   * ({@link OrderedReads}), and a differing cluster is checked as soon as it is read, so the
   * differing clusters are not read a second time for the check. Nothing is written here.
   */
  private BitSet compare(BitSet candidates, List<ImageChain> older, boolean check)
      throws IOException {
    BitSet differing = new BitSet();
    List<ImageChain> chains = new ArrayList<>(List.of(current, host));
    if (check) {
      chains.addAll(older.subList(0, Math.min(1, older.size())));
    }
    forEachCluster(
        candidates,
        chains,
        (k, b) -> {
          if (!b[0].equals(b[1])) {
            if (check && !isOlderContent(k, b, older)) {
              throw wrongDisk(
                  k,
                  "which matches neither generation "
                      + carrier.current().number()
                      + " nor what the image held before (the base or an older kept generation):"
                      + " it is not a copy of the carrier's disk, or it was changed since");
            }
            differing.set(k);
          }
          advance(b[0].remaining());
        });
    return differing;
  }

  /**
   * Whether each sector of {@code b[1]} (the image) holds {@code b[0]} (the current content) or
   * that of one of {@code older}, whose first is {@code b[2]} when given; the others are read only
   * for sectors the first does not explain (a cut sync's mix of generations).
   */
  private boolean isOlderContent(long k, ByteBuffer[] b, List<ImageChain> older)
      throws IOException {
    ByteBuffer want = b[0];
    ByteBuffer have = b[1];
    ByteBuffer[] olds = new ByteBuffer[older.size()];
    if (b.length > 2) {
      olds[0] = b[2];
    }
    for (int s = 0; s < have.remaining(); s += SECTOR) {
      int n = Math.min(have.remaining() - s, SECTOR);
      ByteBuffer sector = have.slice(s, n);
      if (sector.equals(want.slice(s, n))) {
        continue;
      }
      boolean found = false;
      for (int i = 0; i < olds.length && !found; i++) {
        if (olds[i] == null) {
          olds[i] = ByteBuffer.wrap(read(older.get(i), k));
        }
        found = sector.equals(olds[i].slice(s, n));
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  /**
   * Writes the current content of {@code differing} into the image and flushes it: read ahead,
   * written in guest order, the data clusters of each read as one multi-piece write (pieces that
   * land side by side in the image's file go out as one), zero clusters as zeros.
   */
  private long write(BitSet differing) throws IOException {
    DiskImage top = host.top();
    long bytes = 0;
    List<OrderedReads.Read> list = readsOf(differing);
    try (OrderedReads reads = new OrderedReads(current.top(), list)) {
      for (OrderedReads.Read r : list) {
        ByteBuffer data = reads.next();
        int n = data.remaining();
        writePieces(top, r, data);
        reads.recycle(data);
        bytes += n;
        advance(n);
      }
    }
    // The record committed next says the image holds the generation: it must first be so.
    top.flush();
    return bytes;
  }

  /**
   * Writes the clusters of read {@code r}, side by side in {@code data}, where they belong in
   * {@code top}, in guest order: runs of data clusters as one multi-piece write each, zero clusters
   * as zeros.
   */
  private static void writePieces(DiskImage top, OrderedReads.Read r, ByteBuffer data)
      throws IOException {
    List<long[]> pieces = new ArrayList<>();
    int from = 0;
    int at = 0;
    for (int i = 0; i < r.guestOffsets().length; i++) {
      long end = r.guestOffsets()[i] + r.lengths()[i];
      for (long g = r.guestOffsets()[i]; g < end; g += CLUSTER) {
        int n = (int) Math.min(CLUSTER, end - g);
        if (data.slice(at, n).mismatch(ZEROS.slice(0, n)) < 0) {
          writeData(top, data, from, pieces);
          top.writeZeroes(g, n);
          from = at + n;
        } else {
          pieces.add(new long[] {g, n});
        }
        at += n;
      }
    }
    writeData(top, data, from, pieces);
  }

  /** Writes {@code pieces} (guest offset, length), side by side in {@code data} from {@code from}. */
  private static void writeData(DiskImage top, ByteBuffer data, int from, List<long[]> pieces)
      throws IOException {
    if (pieces.isEmpty()) {
      return;
    }
    OrderedReads.Read w = readOf(pieces);
    top.write(data.slice(from, data.limit() - from), w.guestOffsets(), w.lengths());
  }

  /**
   * The clusters of {@code set} as reads in guest order: each run of consecutive clusters one
   * piece, as many pieces in one read as {@link OrderedReads#MAX_BYTES} holds.
   */
  private List<OrderedReads.Read> readsOf(BitSet set) {
    List<OrderedReads.Read> reads = new ArrayList<>();
    List<long[]> pieces = new ArrayList<>();
    long bytes = 0;
    int perRead = OrderedReads.MAX_BYTES / CLUSTER;
    for (int k = set.nextSetBit(0); k >= 0; ) {
      int end = Math.min(set.nextClearBit(k), k + perRead);
      long at = (long) k * CLUSTER;
      long n = Math.min((long) end * CLUSTER, current.virtualSize()) - at;
      if (bytes + n > OrderedReads.MAX_BYTES) {
        reads.add(readOf(pieces));
        bytes = 0;
      }
      pieces.add(new long[] {at, n});
      bytes += n;
      k = set.nextSetBit(end);
    }
    if (!pieces.isEmpty()) {
      reads.add(readOf(pieces));
    }
    return reads;
  }

  /** One read of {@code pieces} (guest offset, length), which it empties. */
  private static OrderedReads.Read readOf(List<long[]> pieces) {
    long[] offsets = new long[pieces.size()];
    int[] lengths = new int[pieces.size()];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = pieces.get(i)[0];
      lengths[i] = (int) pieces.get(i)[1];
    }
    pieces.clear();
    return new OrderedReads.Read(offsets, lengths);
  }

  /** Guest bytes of the clusters of {@code set} (the last one of the disk may be short). */
  private long bytesOf(BitSet set) {
    long bytes = (long) set.cardinality() * CLUSTER;
    if (clusters > 0 && set.get(Math.toIntExact(clusters - 1))) {
      bytes -= clusters * CLUSTER - current.virtualSize();
    }
    return bytes;
  }

  /** {@code bytes} more were compared or written. */
  private void advance(long bytes) {
    done += bytes;
    progress.progress(done, total);
  }

  /** What is done with one cluster of each chain. */
  private interface ClusterVisitor {
    /** Cluster {@code k}, as read from each chain in turn (the last one of the disk may be short). */
    void visit(int k, ByteBuffer[] bytes) throws IOException;
  }

  /**
   * Visits each cluster of {@code set} in guest order with its bytes from each of {@code chains},
   * all read ahead together.
   */
  private void forEachCluster(BitSet set, List<ImageChain> chains, ClusterVisitor visitor)
      throws IOException {
    List<OrderedReads.Read> list = readsOf(set);
    List<OrderedReads> reads = new ArrayList<>();
    try {
      for (ImageChain c : chains) {
        reads.add(new OrderedReads(c.top(), list));
      }
      ByteBuffer[] data = new ByteBuffer[chains.size()];
      ByteBuffer[] cluster = new ByteBuffer[chains.size()];
      for (OrderedReads.Read r : list) {
        for (int j = 0; j < data.length; j++) {
          data[j] = reads.get(j).next();
        }
        int at = 0;
        for (int i = 0; i < r.guestOffsets().length; i++) {
          long end = r.guestOffsets()[i] + r.lengths()[i];
          for (long g = r.guestOffsets()[i]; g < end; g += CLUSTER) {
            int n = (int) Math.min(CLUSTER, end - g);
            for (int j = 0; j < data.length; j++) {
              cluster[j] = data[j].slice(at, n);
            }
            visitor.visit((int) (g / CLUSTER), cluster);
            at += n;
          }
        }
        for (int j = 0; j < data.length; j++) {
          reads.get(j).recycle(data[j]);
        }
      }
    } finally {
      for (OrderedReads r : reads) {
        r.close();
      }
    }
  }

  private SyncRefusedException wrongDisk(long k, String why) {
    return new SyncRefusedException(
        SyncRefusedException.Kind.WRONG_DISK,
        host.top().path()
            + ": the 64 KiB at byte "
            + k * CLUSTER
            + " differ from the carrier "
            + carrier.location()
            + " "
            + why
            + "; refusing to sync");
  }

  /** SHA-256 (hex) of the disk size and the content of {@code chain} at {@code sample}. */
  private String digest(ImageChain chain, long[] sample) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
    sha.update(ByteBuffer.allocate(Long.BYTES).putLong(chain.virtualSize()).array());
    for (long k : sample) {
      sha.update(read(chain, k));
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Cluster {@code k} of {@code chain} as the guest reads it (the last one may be short). */
  private byte[] read(ImageChain chain, long k) throws IOException {
    long at = k * CLUSTER;
    byte[] b = new byte[(int) Math.min(CLUSTER, current.virtualSize() - at)];
    chain.read(ByteBuffer.wrap(b), at);
    return b;
  }
}
