package dev.carryon.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Merges what one top layer defines (data and zeros) into a target image of the same virtual
 * size, qcow2 or raw, whether or not the target is the top's backing file, like {@code qemu-img
 * commit} restricted to one layer. Only the top's L1/L2 tables are walked, so the cost follows
 * the changed data, not the disk size. Both images are validated before the first byte is
 * written; the target is forced once at the end (and at the ordering points of qcow2 metadata).
 * A merge stopped by an error leaves the target as a crash at that point would: every cluster
 * old or new, at worst leaked clusters.
 *
 * <p>The target is written in guest order, so its new clusters lie in guest order as QEMU's
 * commit lays them out, while up to {@link #READ_THREADS} threads read the top up to {@link
 * #READS_AHEAD} pieces ahead (more of both each time the writer has to wait, see {@link
 * ReadAhead}, through {@link OrderedReads}): disks and links serve parallel reads several times faster than one at a time
 * (here 1 GiB of scattered 64 KiB clusters, cold: 5-7 s one at a time, 1.2-1.4 s sixteen at a
 * time), and reads queued beyond the threads keep them busy while the oldest read, which the
 * writer waits for, is slow. Consecutive pieces
 * travel together, up to {@link #GROUP_BYTES}, so that the target can write those that land side
 * by side in its file as one. Only the calling thread writes, in the same order as before, so the
 * ordering of data and metadata (and every write point) is what it would be without the reads
 * ahead.
 */
public final class Merger {
  /** Threads reading the top, at most. */
  static final int READ_THREADS = 16;
  /** Reads of the top asked for ahead of the writer, at most (each holds {@link #GROUP_BYTES}). */
  static final int READS_AHEAD = 64;
  /**
   * Most bytes one read of the top (and one call to write the target) carries. Not more: a
   * write of 512 KiB or 1 MiB into the page cache made the kernel copy 8-10x slower than 256 KiB
   * writes on these machines (large folios taken from memory the VM had given back to its host;
   * perf: copy_folio_from_iter_atomic 4,200-6,000 samples per GiB against 370-580).
   */
  static final int GROUP_BYTES = 256 << 10;

  private Merger() {}

  /** Merges {@code top}'s own clusters into {@code target}, opening its backing chain by name. */
  public static MergeResult merge(Path top, Path target, ProgressListener progress) throws IOException {
    return merge(top, target, ImageSecrets.NONE, progress);
  }

  /**
   * Merges {@code top}'s own clusters into {@code target}, opening its backing chain by name and
   * unlocking every encrypted image (top, target, target's backing files) with its secret from
   * {@code secrets}. Either side or both may be encrypted, with the same key or not: the data is
   * decrypted from the top and encrypted again for the target, whose IVs are its own host sectors.
   */
  public static MergeResult merge(Path top, Path target, ImageSecrets secrets, ProgressListener progress)
      throws IOException {
    if (Files.isSameFile(top, target)) {
      throw new ImageMismatchException(target, "cannot merge an image into itself");
    }
    try (DiskImage source = DiskImage.open(top, null, false, secrets)) {
      DiskImage sink = DiskImage.open(target, null, true, secrets);
      // The target's backing chain fills in partly written clusters; it is only read.
      ImageChain targetChain;
      try {
        targetChain = ImageChain.over(sink, secrets);
      } catch (IOException | RuntimeException e) {
        sink.close();
        throw e;
      }
      try (targetChain) {
        return merge(source, targetChain, progress);
      }
    }
  }

  /**
   * Merges {@code top}'s own clusters into the top of {@code target}, an open writable image whose
   * backing layers (only read, to fill in partly written clusters) the chain gives. Flushes the
   * target; closes neither.
   */
  public static MergeResult merge(DiskImage top, ImageChain target, ProgressListener progress)
      throws IOException {
    DiskImage sink = target.top();
    if (top == sink || top.path().equals(sink.path())) {
      throw new ImageMismatchException(sink.path(), "cannot merge an image into itself");
    }
    if (top.virtualSize() != sink.virtualSize()) {
      throw new ImageMismatchException(
          sink.path(), "virtual size " + sink.virtualSize() + " differs from " + top.path()
              + " (" + top.virtualSize() + "); refusing to merge");
    }
    // An encrypted image opened without its secret is refused here, before anything is written.
    top.prepareRead();
    for (DiskImage layer : target.layers()) {
      layer.prepareRead();
    }
    List<Extent> extents = top.mapLayer(0, top.virtualSize());
    long total = 0;
    long merged = 0;
    for (Extent x : extents) {
      if (x.present()) {
        total += x.length();
        merged++;
        sink.prepareWrite(x.start(), x.length());
      }
    }
    List<Step> steps = steps(extents);
    // Both images are valid as far as this merge will touch them: writing starts here.
    long writtenBefore = sink.bytesWritten();
    long copied = 0;
    long zeroed = 0;
    progress.progress(0, total);
    List<OrderedReads.Read> dataReads = new ArrayList<>();
    for (Step s : steps) {
      if (s.lengths != null) {
        dataReads.add(new OrderedReads.Read(s.offsets, s.lengths));
      }
    }
    try (OrderedReads reads = new OrderedReads(top, dataReads)) {
      for (Step s : steps) {
        if (s.lengths == null) {
          sink.writeZeroes(s.offsets[0], s.zeroLength);
          zeroed += s.zeroLength;
        } else {
          ByteBuffer data = reads.next();
          copied += data.remaining();
          sink.write(data, s.offsets, s.lengths);
          reads.recycle(data);
        }
        progress.progress(copied + zeroed, total);
      }
    }
    sink.flush();
    return new MergeResult(copied, zeroed, merged, sink.bytesWritten() - writtenBefore);
  }

  /**
   * One step of a merge, in guest order: consecutive data pieces of the top read together and
   * written together ({@code lengths} set), or one run that reads as zeros.
   *
   * @param offsets guest offset of each piece (one for a zero run)
   * @param lengths bytes of each piece; null for a zero run
   * @param zeroLength bytes of a zero run
   */
  private record Step(long[] offsets, int[] lengths, long zeroLength) {}

  /** The top's present runs as steps: data in pieces grouped up to {@link #GROUP_BYTES}. */
  private static List<Step> steps(List<Extent> extents) {
    List<Step> steps = new ArrayList<>();
    List<long[]> group = new ArrayList<>();
    long groupBytes = 0;
    for (Extent x : extents) {
      if (!x.present()) {
        continue;
      }
      if (x.zero()) {
        addGroup(steps, group);
        groupBytes = 0;
        steps.add(new Step(new long[] {x.start()}, null, x.length()));
        continue;
      }
      for (long at = x.start(); at < x.end(); ) {
        long n = Math.min(GROUP_BYTES, x.end() - at);
        if (groupBytes + n > GROUP_BYTES) {
          addGroup(steps, group);
          groupBytes = 0;
        }
        group.add(new long[] {at, n});
        groupBytes += n;
        at += n;
      }
    }
    addGroup(steps, group);
    return steps;
  }

  /** Adds the pieces gathered in {@code group} as one step and empties it. */
  private static void addGroup(List<Step> steps, List<long[]> group) {
    if (group.isEmpty()) {
      return;
    }
    long[] offsets = new long[group.size()];
    int[] lengths = new int[group.size()];
    for (int i = 0; i < group.size(); i++) {
      offsets[i] = group.get(i)[0];
      lengths[i] = (int) group.get(i)[1];
    }
    steps.add(new Step(offsets, lengths, 0));
    group.clear();
  }
}
