package dev.carryon.cow;

import dev.carryon.cow.io.Buffers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Merges what one top layer defines (data and zeros) into a target image of the same virtual
 * size, qcow2 or raw, whether or not the target is the top's backing file, like {@code qemu-img
 * commit} restricted to one layer. Only the top's L1/L2 tables are walked, so the cost follows
 * the changed data, not the disk size. Both images are validated before the first byte is
 * written; the target is forced once at the end (and at the ordering points of qcow2 metadata).
 * A merge stopped by an error leaves the target as a crash at that point would: every cluster
 * old or new, at worst leaked clusters.
 */
public final class Merger {
  /** Data moves in pieces of at most this size. */
  static final int CHUNK = 8 << 20;

  private Merger() {}

  /** Merges {@code top}'s own clusters into {@code target}, opening its backing chain by name. */
  public static MergeResult merge(Path top, Path target, ProgressListener progress) throws IOException {
    if (Files.isSameFile(top, target)) {
      throw new ImageMismatchException(target, "cannot merge an image into itself");
    }
    try (DiskImage source = DiskImage.open(top, false)) {
      DiskImage sink = DiskImage.open(target, true);
      // The target's backing chain fills in partly written clusters; it is only read.
      ImageChain targetChain;
      try {
        targetChain = ImageChain.over(sink);
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
    List<Extent> extents = top.mapLayer(0, top.virtualSize());
    long total = 0;
    for (Extent x : extents) {
      if (x.present()) {
        total += x.length();
        sink.prepareWrite(x.start(), x.length());
      }
    }
    // Both images are valid as far as this merge will touch them: writing starts here.
    long writtenBefore = sink.bytesWritten();
    ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(CHUNK, Math.max(total, 1)));
    long copied = 0;
    long zeroed = 0;
    long merged = 0;
    progress.progress(0, total);
    for (Extent x : extents) {
      if (!x.present()) {
        continue;
      }
      merged++;
      if (x.zero()) {
        sink.writeZeroes(x.start(), x.length());
        zeroed += x.length();
        progress.progress(copied + zeroed, total);
        continue;
      }
      for (long at = x.start(); at < x.end(); ) {
        int n = (int) Math.min(buffer.capacity(), x.end() - at);
        top.read(Buffers.first(buffer, n), at);
        sink.write(Buffers.flip(buffer), at);
        at += n;
        copied += n;
        progress.progress(copied + zeroed, total);
      }
    }
    sink.flush();
    return new MergeResult(copied, zeroed, merged, sink.bytesWritten() - writtenBefore);
  }
}
