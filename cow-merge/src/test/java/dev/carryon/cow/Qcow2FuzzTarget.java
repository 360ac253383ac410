package dev.carryon.cow;

import dev.carryon.testdata.fuzz.FuzzTarget;
import dev.carryon.testdata.fuzz.Seed;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * Fuzzes the qcow2 reader: {@link DiskImage#open} (header, extensions, table bounds), the map of
 * the layer (L1 and L2 tables), reads of what it maps (data, zero and compressed clusters) and
 * {@link Checker#check} (refcount table and blocks, snapshots). The image is opened read-only.
 * The documented refusal is an {@link ImageException} whose message starts with the file.
 */
public final class Qcow2FuzzTarget implements FuzzTarget {
  /** The input's one file. */
  static final String FILE = "image.qcow2";

  /** Guest bytes read per input at most, in mapped extents from the start. */
  private static final long READ_BUDGET = 4 << 20;

  @Override
  public String name() {
    return "qcow2";
  }

  @Override
  public List<Seed> seeds(Path work) throws Exception {
    return Qcow2Seeds.all(work, FILE);
  }

  @Override
  public void run(Path input, Path scratch) throws Exception {
    Path file = input.resolve(FILE);
    try (DiskImage image = DiskImage.open(file, false)) {
      readMapped(image, image.mapLayer(0, image.virtualSize()));
    }
    Checker.check(file);
  }

  /** Reads the extents the map says the layer holds, up to {@link #READ_BUDGET} bytes. */
  static void readMapped(DiskImage image, List<Extent> map) throws Exception {
    ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
    long budget = READ_BUDGET;
    for (Extent x : map) {
      for (long at = x.start(); x.present() && at < x.end() && budget > 0; ) {
        int n = (int) Math.min(buffer.capacity(), x.end() - at);
        image.read(buffer.clear().limit(n), at);
        at += n;
        budget -= n;
      }
    }
  }

  @Override
  public String unexpected(Throwable error, Path input) {
    return imageError(error, input.resolve(FILE));
  }

  /** Null when {@code error} is an {@link ImageException} naming {@code file}; else what it is not. */
  static String imageError(Throwable error, Path file) {
    if (!(error instanceof ImageException)) {
      return "not an ImageException";
    }
    if (!error.getMessage().startsWith(file + ": ")) {
      return "the message does not start with the file " + file;
    }
    return null;
  }
}
