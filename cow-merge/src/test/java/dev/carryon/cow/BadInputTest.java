package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Damaged images made by patching qemu-img's output: each refused with the right error. */
class BadInputTest {
  @TempDir Path dir;
  Path base;
  Path top;

  @BeforeEach
  void images() {
    base = dir.resolve("base.qcow2");
    top = dir.resolve("top.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", base.toString(), "4M");
    Qemu.io(base, "write -P 1 0 2M");
    Qemu.img("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top.toString());
    Qemu.io(top, "write -P 2 64k 64k", "write -P 3 1M 128k");
  }

  @Test
  void truncatedHeader() throws Exception {
    truncate(top, 50);
    expect(ImageFormatException.class, top, "truncated qcow2 header", () -> open(top));
  }

  @Test
  void truncatedTables() throws Exception {
    truncate(top, 3 * 65536 + 100);
    expect(ImageFormatException.class, top, "past the end of the file", () -> open(top));
  }

  @Test
  void tableOffsetPastTheEnd() throws Exception {
    patchLong(top, 40, 1L << 40);
    expect(ImageFormatException.class, top, "L1 table (offset 1099511627776", () -> open(top));
  }

  @Test
  void overlappingMetadata() throws Exception {
    patchLong(top, 40, readLong(top, 48));
    expect(ImageFormatException.class, top, "overlaps the refcount table", () -> open(top));
  }

  @Test
  void l2EntryOutsideTheFile() throws Exception {
    long l2 = l2Table(top);
    patchLong(top, l2 + 8, (1L << 63) | (1L << 40)); // entry of the second cluster (64k)
    expect(ImageFormatException.class, top, "points at host offset 1099511627776, past the end of the file",
        () -> Merger.merge(top, base, ProgressListener.NONE));
  }

  @Test
  void refcountTableLoop() throws Exception {
    long table = readLong(top, 48);
    patchLong(top, table + 8, readLong(top, table));
    expect(ImageFormatException.class, top, "both point at", () -> open(top));
  }

  @Test
  void refcountBlockOverlapsItsTable() throws Exception {
    long table = readLong(top, 48);
    patchLong(top, table, table);
    expect(ImageFormatException.class, top, "overlaps the refcount table", () -> open(top));
  }

  @Test
  void unknownIncompatibleBits() throws Exception {
    patchLong(top, 72, (1L << 40) | (1L << 7));
    expect(UnsupportedImageException.class, top, "unknown incompatible feature bits 7, 40", () -> open(top));
  }

  @Test
  void backingChainLoop() throws Exception {
    Qemu.img("rebase", "-u", "-b", "top.qcow2", "-F", "qcow2", base.toString());
    expect(BackingChainException.class, base, "backing chain loops", () -> ImageChain.open(top).close());
  }

  @Test
  void missingBacking() throws Exception {
    Files.delete(base);
    expect(BackingChainException.class, top, "'base.qcow2'", () -> ImageChain.open(top).close());
    expect(BackingChainException.class, top, "does not exist", () -> ImageChain.open(top).close());
  }

  @Test
  void wrongVirtualSizeLeavesTargetUntouched() throws Exception {
    Path other = dir.resolve("other.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", other.toString(), "8M");
    byte[] before = Files.readAllBytes(other);
    expect(ImageMismatchException.class, other, "virtual size 8388608 differs",
        () -> Merger.merge(top, other, ProgressListener.NONE));
    assertArrayEquals(before, Files.readAllBytes(other));
  }

  @Test
  void targetThatFailsValidationIsNotWritten() throws Exception {
    // The target's L2 entry for guest 1M (a cluster the top writes) points outside the file.
    long l2 = l2Table(base);
    patchLong(base, l2 + 16 * 8, (1L << 63) | (1L << 40));
    byte[] before = Files.readAllBytes(base);
    expect(ImageFormatException.class, base, "past the end of the file",
        () -> Merger.merge(top, base, ProgressListener.NONE));
    assertArrayEquals(before, Files.readAllBytes(base), "target unchanged");
  }

  @Test
  void explicitChainOfAnotherVirtualSize() throws Exception {
    Path small = dir.resolve("small.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", small.toString(), "2M");
    expectChainRefused(ImageMismatchException.class, small, "virtual size 2097152 differs", top, small);
  }

  @Test
  void explicitChainEndingAtAnImageThatRecordsABackingFile() throws Exception {
    expectChainRefused(BackingChainException.class, top, "the chain given ends here", top);
  }

  @Test
  void explicitChainGoingOnBelowAnImageWithoutBackingFile() throws Exception {
    Path raw = dir.resolve("disk.raw");
    Qemu.img("create", "-q", "-f", "raw", raw.toString(), "4M");
    expectChainRefused(BackingChainException.class, base, "records no backing file", top, base, raw);
    expectChainRefused(BackingChainException.class, raw, "records no backing file", top, raw, base);
  }

  @Test
  void explicitChainWithAnImageTwice() throws Exception {
    try (DiskImage t = DiskImage.open(top, false)) {
      ImageException e = assertThrows(ImageException.class, () -> ImageChain.of(java.util.List.of(t, t)));
      assertTrue(e.getMessage().contains(top + ": appears twice"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> ImageChain.of(java.util.List.of()));
  }

  /** Opens {@code images}, expects {@link ImageChain#of} to refuse them, and closes them. */
  private static void expectChainRefused(Class<? extends ImageException> type, Path file, String problem, Path... images)
      throws Exception {
    java.util.List<DiskImage> opened = new java.util.ArrayList<>();
    try {
      for (Path p : images) {
        opened.add(DiskImage.open(p, false));
      }
      expect(type, file, problem, () -> ImageChain.of(opened));
    } finally {
      for (DiskImage d : opened) {
        d.close();
      }
    }
  }

  private static void open(Path image) throws Exception {
    DiskImage.open(image, false).close();
  }

  private static void expect(Class<? extends ImageException> type, Path file, String problem, Executable action) {
    ImageException e = assertThrows(ImageException.class, action);
    assertEquals(type, e.getClass(), e.getMessage());
    assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
    assertTrue(e.getMessage().contains(problem), "says '" + problem + "': " + e.getMessage());
  }

  /** Offset of the first L2 table (L1 entry 0). */
  private static long l2Table(Path image) throws Exception {
    return readLong(image, readLong(image, 40)) & 0x00fffffffffffe00L;
  }

  private static long readLong(Path image, long at) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
      f.seek(at);
      return f.readLong();
    }
  }

  private static void patchLong(Path image, long at, long value) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.seek(at);
      f.write(ByteBuffer.allocate(8).putLong(value).array());
    }
  }

  private static void truncate(Path image, long size) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.setLength(size);
    }
  }
}
