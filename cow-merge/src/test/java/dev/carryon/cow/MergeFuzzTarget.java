package dev.carryon.cow;

import dev.carryon.cow.io.WritePoints;
import dev.carryon.testdata.fuzz.FuzzInput;
import dev.carryon.testdata.fuzz.FuzzTarget;
import dev.carryon.testdata.fuzz.Qcow2Fields;
import dev.carryon.testdata.fuzz.Seed;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzes {@link Merger#merge} with a fuzzed top and a good target (a fresh copy of the top's
 * base each time). A top refused up front must leave the target unwritten (no write point
 * reached); a top refused half way (data that only fails when read) must leave it consistent;
 * a top accepted must leave the target reading exactly as the top over the base read, with no
 * corruption or leak.
 */
public final class MergeFuzzTarget implements FuzzTarget {
  /** The input's one file: the top. */
  static final String TOP = "top.qcow2";

  /** The pristine target, made with the seeds. */
  private byte[] base;

  @Override
  public String name() {
    return "merge";
  }

  @Override
  public List<Seed> seeds(Path work) throws Exception {
    Path base = Qcow2Seeds.base(work);
    this.base = Files.readAllBytes(base);
    Path top = Qcow2Seeds.overlay(base, "top.qcow2");
    Path second = base.resolveSibling("second.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "-b", "base.qcow2", "-F", "qcow2",
        second.toString());
    Qemu.io(second, "write -P 4 0 64k", "write -z 64k 32k", "write -P 5 255k 1k");
    return List.of(seed("overlay with data, compressed and zero clusters", top),
        seed("overlay with a long run and zeros", second));
  }

  private static Seed seed(String what, Path image) throws Exception {
    byte[] content = Files.readAllBytes(image);
    return new Seed(what, FuzzInput.of(TOP, content), Qcow2Fields.of(TOP, content));
  }

  @Override
  public void run(Path input, Path scratch) throws Exception {
    if (base == null) {
      throw new IllegalStateException("seeds() makes the target's base; call it first");
    }
    Path top = input.resolve(TOP);
    Path target = Files.write(scratch.resolve("base.qcow2"), base);
    Path pristine = Files.write(scratch.resolve("pristine.qcow2"), base);
    WritePoints.watch(target);
    try {
      Merger.merge(top, target, ProgressListener.NONE);
    } catch (ImageException e) {
      long writes = WritePoints.reached();
      if (writes > 0) {
        CheckReport r = Checker.check(target);
        if (r.corruptions() > 0 || r.checkErrors() > 0) {
          throw new AssertionError("the merge failed after " + writes + " writes and left the target corrupt: "
              + r.messages(), e);
        }
      }
      throw e;
    } finally {
      WritePoints.watch(null);
    }
    byte[] expected = readAll(top, pristine);
    byte[] merged = readAll(target, null);
    if (!Arrays.equals(expected, merged)) {
      throw new AssertionError("the merged target differs from the top over its base at byte "
          + Arrays.mismatch(expected, merged));
    }
    CheckReport r = Checker.check(target);
    if (r.corruptions() + r.checkErrors() + r.leaks() > 0) {
      throw new AssertionError("the merge left " + r.corruptions() + " corruptions and " + r.leaks()
          + " leaks: " + r.messages());
    }
  }

  /** What the guest sees in {@code image} (over {@code backing}, when given). */
  private static byte[] readAll(Path image, Path backing) throws Exception {
    try (DiskImage d = DiskImage.open(image, false)) {
      DiskImage b = backing == null ? null : DiskImage.open(backing, false);
      try {
        if (b != null) {
          d.attachBacking(b);
        }
        ByteBuffer all = ByteBuffer.allocate((int) d.virtualSize());
        d.read(all, 0);
        return all.array();
      } finally {
        if (b != null) {
          b.close();
        }
      }
    }
  }

  /** An {@link ImageException} that names the top (a size mismatch names the target first). */
  @Override
  public String unexpected(Throwable error, Path input) {
    Path top = input.resolve(TOP);
    if (error instanceof ImageMismatchException && error.getMessage().contains(top.toString())) {
      return null;
    }
    return Qcow2FuzzTarget.imageError(error, top);
  }
}
