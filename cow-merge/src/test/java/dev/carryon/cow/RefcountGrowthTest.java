package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Merges that need new refcount blocks and a larger refcount table, for every cluster size and
 * refcount width the engine accepts, with qemu-img check as the oracle (issue 9). A merge
 * allocates at the end of the target file, so a sparse hole appended to the target puts the
 * allocations where the refcount structures run out without writing gigabytes.
 *
 * <p>The table grows where one table cluster covers at most {@link #MAX_GROWTH_CLUSTERS} host
 * clusters (cluster sizes 512 B to 16 KiB; the larger the refcount width, the larger the cluster
 * size that gets there): beyond that the checks would count tens of millions of clusters. The
 * other cases need a new refcount block inside the table. Two cases can do neither here: with 2
 * MiB clusters and 1- or 2-bit refcounts one block covers 32 or 16 TiB, past ext4's largest file.
 */
class RefcountGrowthTest {
  static final long MAX_GROWTH_CLUSTERS = 1L << 22;
  /** The largest sparse target file this test makes (ext4 stops at 16 TiB). */
  static final long MAX_FILE_BYTES = 8L << 40;

  @TempDir Path dir;

  static Stream<Arguments> sizesAndWidths() {
    List<Arguments> cases = new ArrayList<>();
    for (int clusterBits = 9; clusterBits <= 21; clusterBits++) {
      for (int refcountBits = 1; refcountBits <= 64; refcountBits *= 2) {
        if (boundary(clusterBits, refcountBits) >= 0) {
          cases.add(Arguments.of(1 << clusterBits, refcountBits));
        }
      }
    }
    return cases.stream();
  }

  /** Refcounts one block holds. */
  static long perBlock(int clusterBits, int refcountBits) {
    return (8L << clusterBits) / refcountBits;
  }

  /**
   * The first host cluster the fresh target's refcount structures do not cover: past a one-cluster
   * table when that is within reach, else the start of block 1; -1 when neither is.
   */
  static long boundary(int clusterBits, int refcountBits) {
    long tableCoverage = (1L << clusterBits) / 8 * perBlock(clusterBits, refcountBits);
    if (tableCoverage <= MAX_GROWTH_CLUSTERS) {
      return tableCoverage;
    }
    long block1 = perBlock(clusterBits, refcountBits);
    return block1 << clusterBits <= MAX_FILE_BYTES ? block1 : -1;
  }

  @ParameterizedTest(name = "cluster {0}, refcount_bits {1}")
  @MethodSource("sizesAndWidths")
  void mergeAcrossTheEndOfTheRefcountStructures(int clusterSize, int refcountBits) throws Exception {
    int clusterBits = Integer.numberOfTrailingZeros(clusterSize);
    long size = Math.max(4L << 20, 16L * clusterSize);
    Path base = dir.resolve("base.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=" + clusterSize + ",refcount_bits=" + refcountBits,
        base.toString(), Long.toString(size));
    Qemu.io(base, "write -P 1 0 " + 2 * clusterSize);
    RefcountTable before = RefcountTable.read(base);
    assertEquals(1, before.clusters(), "qemu-img makes a one-cluster refcount table");
    long boundary = boundary(clusterBits, refcountBits);
    boolean grows = boundary > perBlock(clusterBits, refcountBits);
    // The next cluster allocated is the last one the structures cover; the ones after it are not.
    try (RandomAccessFile f = new RandomAccessFile(base.toFile(), "rw")) {
      f.setLength((boundary - 1) << clusterBits);
    }

    Path top = dir.resolve("top.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=" + clusterSize, "-b", "base.qcow2", "-F", "qcow2", top.toString());
    byte[] expected = new byte[(int) size];
    Arrays.fill(expected, 0, 2 * clusterSize, (byte) 1);
    List<String> writes = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      long at = (size / 6 * i + clusterSize) & -clusterSize;
      writes.add("write -P " + (10 + i) + " " + at + " " + clusterSize);
      Arrays.fill(expected, (int) at, (int) at + clusterSize, (byte) (10 + i));
    }
    Qemu.io(top, writes.toArray(String[]::new));

    Merger.merge(top, base, ProgressListener.NONE);

    Qemu.Result check = Qemu.check(base);
    assertEquals(0, check.exit(), "qemu-img check after the merge:\n" + check.out());
    assertArrayEquals(expected, MergeOracleTest.qemuRaw(base), "content after the merge");
    RefcountTable after = RefcountTable.read(base);
    if (grows) {
      assertTrue(after.clusters() > 1, "the refcount table grew: " + after);
      assertNotEquals(before.offset(), after.offset(), "the table moved");
    } else {
      assertNotEquals(0, after.entry(1), "refcount block 1 was made: " + after);
    }
    // QEMU allocates with the new structures (into the hole, where refcounts say free) and agrees.
    Qemu.io(base, "write -P 30 " + (size - 4L * clusterSize) + " " + 4L * clusterSize);
    check = Qemu.check(base);
    assertEquals(0, check.exit(), "qemu-img check after QEMU wrote more:\n" + check.out());
  }

  /** Issue 9 as reported: 512-byte clusters, a few MiB of base data, ~15 MiB merged over it. */
  @Test
  void issueNineScatteredMergeInto512ByteClusters() throws Exception {
    Path base = dir.resolve("base.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", base.toString(), "48M");
    Qemu.io(base, "write -P 1 0 3M", "write -P 2 10M 1M");
    Path top = dir.resolve("ov.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "-b", "base.qcow2", "-F", "qcow2", top.toString());
    List<String> writes = new ArrayList<>();
    for (int i = 0; i < 240; i++) {
      writes.add("write -P " + (i % 250 + 1) + " " + (i * 7919L % 760) * 65536 + " 64k");
    }
    Qemu.io(top, writes.toArray(String[]::new));
    byte[] expected = MergeOracleTest.qemuRaw(top);

    Merger.merge(top, base, ProgressListener.NONE);

    Qemu.Result check = Qemu.check(base);
    assertEquals(0, check.exit(), "qemu-img check after the merge:\n" + check.out());
    assertArrayEquals(expected, MergeOracleTest.qemuRaw(base));
    assertTrue(RefcountTable.read(base).clusters() > 1, "the refcount table grew");
    assertTrue(Checker.check(base).isClean(), "our check agrees");
  }

  /** The refcount table as the header and the file say, read without the engine. */
  record RefcountTable(long offset, int clusters, long[] entries) {
    static RefcountTable read(Path image) throws Exception {
      try (FileChannel f = FileChannel.open(image, StandardOpenOption.READ)) {
        ByteBuffer h = ByteBuffer.allocate(60);
        f.read(h, 0);
        long offset = h.getLong(48);
        int clusters = h.getInt(56);
        int clusterSize = 1 << h.getInt(20);
        ByteBuffer t = ByteBuffer.allocate(Math.min(clusters * clusterSize, 1 << 16));
        f.read(t, offset);
        long[] entries = new long[t.capacity() / 8];
        t.flip();
        t.asLongBuffer().get(entries);
        return new RefcountTable(offset, clusters, entries);
      }
    }

    long entry(int i) {
      return entries[i];
    }

    @Override
    public String toString() {
      return "refcount table at " + offset + ", " + clusters + " clusters";
    }
  }
}
