package dev.carryon.cow;

import dev.carryon.cow.io.CountingStorage;
import dev.carryon.cow.io.FileStorage;
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
 */
public final class Merger {
  /** Data moves in pieces of at most this size. */
  static final int CHUNK = 8 << 20;

  private Merger() {}

  /** Merges {@code top}'s own clusters into {@code target}. */
  public static MergeResult merge(Path top, Path target, ProgressListener progress) throws IOException {
    if (Files.isSameFile(top, target)) {
      throw new ImageMismatchException(target, "cannot merge an image into itself");
    }
    try (DiskImage source = DiskImage.open(top, false)) {
      CountingStorage storage = new CountingStorage(FileStorage.openReadWrite(target));
      DiskImage sink;
      try {
        sink = DiskImage.open(storage, null);
      } catch (IOException | RuntimeException e) {
        storage.close();
        throw e;
      }
      // The target's backing chain fills in partly written clusters; it is only read.
      ImageChain targetChain;
      try {
        targetChain = ImageChain.over(sink);
      } catch (IOException | RuntimeException e) {
        sink.close();
        throw e;
      }
      try (targetChain) {
        return merge(source, sink, progress, storage);
      }
    }
  }

  private static MergeResult merge(
      DiskImage source, DiskImage sink, ProgressListener progress, CountingStorage counter)
      throws IOException {
    if (source.virtualSize() != sink.virtualSize()) {
      throw new ImageMismatchException(
          sink.path(), "virtual size " + sink.virtualSize() + " differs from " + source.path()
              + " (" + source.virtualSize() + "); refusing to merge");
    }
    List<Extent> extents = source.mapLayer(0, source.virtualSize());
    long total = 0;
    for (Extent x : extents) {
      if (x.present()) {
        total += x.length();
        sink.prepareWrite(x.start(), x.length());
      }
    }
    // Both images are valid as far as this merge will touch them: writing starts here.
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
        buffer.clear().limit(n);
        source.read(buffer, at);
        buffer.flip();
        sink.write(buffer, at);
        at += n;
        copied += n;
        progress.progress(copied + zeroed, total);
      }
    }
    sink.flush();
    return new MergeResult(copied, zeroed, merged, counter.written());
  }
}
