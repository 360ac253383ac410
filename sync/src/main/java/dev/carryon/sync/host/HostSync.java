package dev.carryon.sync.host;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.ResetResult;
import dev.carryon.carrier.SyncRecord;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.cow.DiskImage;
import dev.carryon.cow.Extent;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.Mapper;
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

  private HostSync(Carrier carrier, ImageChain current, ImageChain host, CountingStorage counter) {
    this.carrier = carrier;
    this.current = current;
    this.host = host;
    this.counter = counter;
    this.clusters = (current.virtualSize() + CLUSTER - 1) / CLUSTER;
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
          r = new HostSync(c, current, host, counter).run(g, hostId, image, cowBytes);
        }
      }
      if (resetAbove < 0 || cowBytes <= resetAbove) {
        return r;
      }
      ResetResult reset = c.reset();
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
      BitSet differing = compare(candidates, older, mode != SyncMode.FULL);
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
   * must hold an older content the image may rightly have, sector by sector.
   */
  private BitSet compare(BitSet candidates, List<ImageChain> older, boolean check)
      throws IOException {
    BitSet differing = new BitSet();
    for (int k = candidates.nextSetBit(0); k >= 0; k = candidates.nextSetBit(k + 1)) {
      byte[] want = read(current, k);
      byte[] have = read(host, k);
      if (Arrays.equals(want, have)) {
        continue;
      }
      if (check && !isOlderContent(k, want, have, older)) {
        throw wrongDisk(
            k,
            "which matches neither generation "
                + carrier.current().number()
                + " nor what the image held before (the base or an older kept generation): it is"
                + " not a copy of the carrier's disk, or it was changed since");
      }
      differing.set(k);
    }
    return differing;
  }

  private boolean isOlderContent(long k, byte[] want, byte[] have, List<ImageChain> older)
      throws IOException {
    byte[][] olds = new byte[older.size()][];
    for (int s = 0; s < have.length; s += SECTOR) {
      int end = Math.min(have.length, s + SECTOR);
      if (Arrays.equals(have, s, end, want, s, end)) {
        continue;
      }
      boolean found = false;
      for (int i = 0; i < olds.length && !found; i++) {
        if (olds[i] == null) {
          olds[i] = read(older.get(i), k);
        }
        found = Arrays.equals(have, s, end, olds[i], s, end);
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  /** Writes the current content of {@code differing} into the image and flushes it. */
  private long write(BitSet differing) throws IOException {
    DiskImage top = host.top();
    long bytes = 0;
    for (int k = differing.nextSetBit(0); k >= 0; k = differing.nextSetBit(k + 1)) {
      byte[] data = read(current, k);
      long at = (long) k * CLUSTER;
      if (isZero(data)) {
        top.writeZeroes(at, data.length);
      } else {
        top.write(ByteBuffer.wrap(data), at);
      }
      bytes += data.length;
    }
    // The record committed next says the image holds the generation: it must first be so.
    top.flush();
    return bytes;
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

  private static boolean isZero(byte[] data) {
    for (byte b : data) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
