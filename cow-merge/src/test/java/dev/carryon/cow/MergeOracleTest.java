package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Images made by qemu-img/qemu-io in many layouts; the engine's reads, map and merge are compared
 * with qemu-img convert, map and commit, and every image it wrote must pass qemu-img check.
 */
class MergeOracleTest {
  static final String SIZE = "4M";

  @TempDir Path dir;

  /**
   * One layout.
   *
   * @param baseOptions qemu-img create -o for the target ("raw" for a raw target)
   * @param topOptions qemu-img create -o for the top
   * @param compressBase base made by qemu-img convert -c (value: compression_type), or null
   * @param compressTop top made by qemu-img convert -c (value: compression_type), or null
   * @param mid whether a middle layer sits between target and top
   */
  record Layout(String name, String baseOptions, String topOptions, String compressBase, String compressTop, boolean mid) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> layouts() {
    return Stream.of(
            new Layout("defaults", "", "", null, null, false),
            new Layout("cluster 512", "cluster_size=512", "cluster_size=512", null, null, false),
            new Layout("cluster 4K", "cluster_size=4096", "cluster_size=4096", null, null, false),
            new Layout("cluster 2M", "cluster_size=2M", "cluster_size=2M", null, null, false),
            new Layout("compat 0.10", "compat=0.10", "compat=0.10", null, null, false),
            new Layout("v2 target, v3 top with zeros", "compat=0.10", "", null, null, false),
            new Layout("refcount_bits 1", "refcount_bits=1", "refcount_bits=1", null, null, false),
            new Layout("refcount_bits 64", "refcount_bits=64", "refcount_bits=64", null, null, false),
            new Layout("lazy refcounts", "lazy_refcounts=on", "lazy_refcounts=on", null, null, false),
            new Layout("compressed zlib", "", "", "zlib", "zlib", false),
            new Layout("compressed zstd", "", "", "zstd", "zstd", false),
            new Layout("extended L2", "extended_l2=on", "extended_l2=on", null, null, false),
            new Layout("extended L2 top over plain", "", "extended_l2=on,cluster_size=32K", null, null, false),
            new Layout("small target clusters", "cluster_size=4096", "cluster_size=64K", null, null, false),
            new Layout("big target clusters", "cluster_size=1M", "cluster_size=4096", null, null, false),
            new Layout("raw target", "raw", "", null, null, false),
            new Layout("top not over target", "", "", null, null, true),
            new Layout("raw target under mid", "raw", "cluster_size=16K", null, null, true))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void mergeMatchesQemuImgCommit(Layout layout) throws Exception {
    boolean rawBase = layout.baseOptions.equals("raw");
    String baseFormat = rawBase ? "raw" : "qcow2";
    Path base = dir.resolve(rawBase ? "base.raw" : "base.qcow2");
    makeBase(layout, base);
    Path under = base;
    String underFormat = baseFormat;
    if (layout.mid) {
      under = dir.resolve("mid.qcow2");
      Qemu.img("create", "-q", "-f", "qcow2", "-b", base.getFileName().toString(), "-F", baseFormat, under.toString());
      Qemu.io(under, "write -P 0x31 128k 64k", "write -P 0x32 2M 64k");
      underFormat = "qcow2";
    }
    Path top = dir.resolve("top.qcow2");
    makeTop(layout, top, under, underFormat);

    // Reads and map of the whole chain against qemu.
    assertArrayEquals(qemuRaw(top), engineRaw(top), "guest view of " + layout);
    Set<Integer> rawDepths = rawBase ? Set.of(layout.mid ? 2 : 1) : Set.of();
    assertEquals(
        QemuMaps.normalize(QemuMaps.parse(Qemu.img("map", "--output=json", top.toString())), rawDepths),
        QemuMaps.normalize(Mapper.mapChain(top), rawDepths),
        "map of " + layout);

    // Expected: qemu-img commit of a copy of the top rebased onto a copy of the target.
    Path expected = dir.resolve("expected." + baseFormat);
    Path topCopy = dir.resolve("top-copy.qcow2");
    Files.copy(base, expected, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(top, topCopy, StandardCopyOption.REPLACE_EXISTING);
    Qemu.img("rebase", "-u", "-b", expected.getFileName().toString(), "-F", baseFormat, topCopy.toString());
    Qemu.img("commit", "-q", topCopy.toString());

    List<long[]> progress = new ArrayList<>();
    MergeResult result = Merger.merge(top, base, (done, total) -> progress.add(new long[] {done, total}));
    assertTrue(result.bytesCopied() + result.bytesZeroed() > 0, "something was merged");
    long[] last = progress.get(progress.size() - 1);
    assertEquals(last[1], last[0], "progress reaches the total");

    Qemu.Result compare = Qemu.run(List.of("qemu-img", "compare", "-f", baseFormat, "-F", baseFormat, base.toString(), expected.toString()));
    assertEquals(0, compare.exit(), "qemu-img compare after merge of " + layout + ":\n" + compare.out());
    if (!rawBase) {
      Qemu.Result check = Qemu.check(base);
      assertEquals(0, check.exit(), "qemu-img check of the merged target:\n" + check.out());
      assertTrue(Checker.check(base).isClean(), "our check agrees: " + Checker.check(base));
    }
    // The top's view is unchanged when the target was its direct backing file.
    if (!layout.mid) {
      assertArrayEquals(qemuRaw(top), engineRaw(top), "guest view after merge");
    }
  }

  private void makeBase(Layout layout, Path base) {
    if (layout.baseOptions.equals("raw")) {
      Qemu.img("create", "-q", "-f", "raw", base.toString(), SIZE);
    } else {
      Qemu.img("create", "-q", "-f", "qcow2", "-o", orDefault(layout.baseOptions), base.toString(), SIZE);
    }
    Qemu.io(base, "write -P 0x11 0 1M", "write -P 0x12 3M 512k", "write -P 0x13 2M 4k");
    if (layout.compressBase != null) {
      Path plain = dir.resolve("plain.qcow2");
      try {
        Files.move(base, plain);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      Qemu.img("convert", "-q", "-c", "-O", "qcow2", "-o", "compression_type=" + layout.compressBase, plain.toString(), base.toString());
    }
  }

  private void makeTop(Layout layout, Path top, Path under, String underFormat) {
    String backing = under.getFileName().toString();
    if (layout.compressTop != null) {
      Path data = dir.resolve("topdata.qcow2");
      Qemu.img("create", "-q", "-f", "qcow2", data.toString(), SIZE);
      Qemu.io(data, "write -P 0x41 64k 192k", "write -P 0x42 3M 64k");
      Qemu.img("convert", "-q", "-c", "-O", "qcow2", "-o", "compression_type=" + layout.compressTop, data.toString(), top.toString());
      Qemu.img("rebase", "-u", "-b", backing, "-F", underFormat, top.toString());
    } else {
      Qemu.img("create", "-q", "-f", "qcow2", "-o", orDefault(layout.topOptions), "-b", backing, "-F", underFormat, top.toString());
    }
    Qemu.io(
        top,
        "write -P 0x21 64k 64k",
        "write -P 0x22 1052672 8192",
        "write -z 3211264 131072",
        "write -P 0x23 4193792 512",
        "write -P 0x24 2M 2k");
  }

  private static String orDefault(String options) {
    return options.isEmpty() ? "compat=1.1" : options;
  }

  static byte[] qemuRaw(Path image) throws Exception {
    Path out = Files.createTempFile(image.getParent(), "view", ".raw");
    Files.delete(out);
    Qemu.img("convert", "-O", "raw", image.toString(), out.toString());
    byte[] bytes = Files.readAllBytes(out);
    Files.delete(out);
    return bytes;
  }

  static byte[] engineRaw(Path image) throws Exception {
    return engineRaw(image, ImageSecrets.NONE);
  }

  /** What the guest sees through the engine, encrypted layers unlocked with {@code secrets}. */
  static byte[] engineRaw(Path image, ImageSecrets secrets) throws Exception {
    try (ImageChain chain = ImageChain.open(image, null, secrets)) {
      ByteBuffer b = ByteBuffer.allocate((int) chain.virtualSize());
      chain.read(b, 0);
      return b.array();
    }
  }

  static String firstDifference(byte[] a, byte[] b) {
    return "first difference at " + Arrays.mismatch(a, b);
  }
}
