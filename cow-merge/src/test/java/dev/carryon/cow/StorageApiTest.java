package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import dev.carryon.cow.io.FileStorage;
import dev.carryon.cow.io.ForwardingStorage;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine over images someone else opened, in any {@link Storage} (a carrier's files may live
 * behind HTTP): explicit chains whose recorded backing names are never looked up, and the
 * Storage-based create, rebase, check and map, against qemu-img.
 */
class StorageApiTest {
  @TempDir Path dir;

  /**
   * The images sit where their recorded backing names lead nowhere: only the explicit chain says
   * what lies below each. The merge must equal qemu-img commit's.
   */
  @Test
  void mergeIntoAnExplicitChainFollowsNoBackingName() throws Exception {
    Path base = dir.resolve("base.qcow2");
    Path mid = dir.resolve("mid.qcow2");
    Path top = dir.resolve("top.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", base.toString(), "4M");
    Qemu.io(base, "write -P 1 0 2M");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4K", "-b", "base.qcow2", "-F", "qcow2", mid.toString());
    Qemu.io(mid, "write -P 2 1M 64k");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=16K", "-b", "mid.qcow2", "-F", "qcow2", top.toString());
    Qemu.io(top, "write -P 3 1056k 2k", "write -P 4 3M 100k", "write -z 0 64k");
    Path expected = dir.resolve("expected");
    Files.createDirectory(expected);
    for (Path p : List.of(base, mid, top)) {
      Files.copy(p, expected.resolve(p.getFileName()));
    }
    Qemu.img("commit", "-q", expected.resolve("top.qcow2").toString());
    byte[] view = MergeOracleTest.qemuRaw(top);
    Path away = Files.createDirectory(dir.resolve("away"));
    for (Path p : List.of(base, mid, top)) {
      Files.move(p, away.resolve(p.getFileName() + ".img"));
    }
    assertThrows(BackingChainException.class, () -> ImageChain.open(away.resolve("mid.qcow2.img")).close());

    MergeResult result;
    try (DiskImage source = DiskImage.open(FileStorage.openReadOnly(away.resolve("top.qcow2.img")), null);
        ImageChain target = ImageChain.of(List.of(
            DiskImage.open(FileStorage.openReadWrite(away.resolve("mid.qcow2.img")), null),
            DiskImage.open(FileStorage.openReadOnly(away.resolve("base.qcow2.img")), null)))) {
      result = Merger.merge(source, target, ProgressListener.NONE);
      byte[] read = new byte[(int) target.virtualSize()];
      target.read(java.nio.ByteBuffer.wrap(read), 0);
      assertArrayEquals(view, read, "the merged chain reads what the top's chain read");
    }
    // The top's 16 KiB clusters: one for the 2 KiB write, seven for the 100 KiB one.
    assertEquals(8 * 16384, result.bytesCopied());
    assertEquals(64 * 1024, result.bytesZeroed());
    // Data and metadata: at least the data, one L2 table and one refcount block (4 KiB clusters).
    assertTrue(result.targetBytesWritten() >= result.bytesCopied() + 2 * 4096, "metadata counted: " + result);
    Path merged = away.resolve("mid.qcow2.img");
    Files.copy(merged, expected.resolve("ours.qcow2"), StandardCopyOption.REPLACE_EXISTING);
    Qemu.img("rebase", "-u", "-b", "base.qcow2", "-F", "qcow2", expected.resolve("ours.qcow2").toString());
    assertEquals(0, Qemu.run(List.of("qemu-img", "compare", expected.resolve("ours.qcow2").toString(),
        expected.resolve("mid.qcow2").toString())).exit(), "same content as qemu-img commit");
    assertEquals(0, Qemu.check(expected.resolve("ours.qcow2")).exit());
  }

  @Test
  void mapOfAnExplicitChainMatchesQemuImgMap() throws Exception {
    Path base = dir.resolve("base.qcow2");
    Path top = dir.resolve("top.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", base.toString(), "4M");
    Qemu.io(base, "write -P 1 0 1M", "write -P 1 3M 64k");
    Qemu.img("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top.toString());
    Qemu.io(top, "write -P 2 512k 64k", "write -z 3M 64k");
    List<Extent> qemu = QemuMaps.normalize(QemuMaps.parse(Qemu.img("map", "--output=json", top.toString())), java.util.Set.of());
    try (ImageChain chain = ImageChain.of(List.of(DiskImage.open(top, false), DiskImage.open(base, false)))) {
      assertEquals(qemu, QemuMaps.normalize(Mapper.map(chain), java.util.Set.of()));
      assertEquals(Mapper.mapLayer(top), Mapper.mapLayer(chain.top()));
    }
  }

  /**
   * Opening an image reads its head once (after the 4-byte probe of its format): the header, its
   * extensions and the backing name, each a request of its own to a carrier behind HTTP before.
   */
  @Test
  void theHeaderExtensionsAndBackingNameCostOneRead() throws Exception {
    Path base = dir.resolve("base.qcow2");
    Path top = dir.resolve("top.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", base.toString(), "1M");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=1.1", "-b", base.toString(), "-F", "qcow2", top.toString());
    AtomicInteger headReads = new AtomicInteger();
    Storage counted = new ForwardingStorage(FileStorage.openReadOnly(top)) {
      @Override
      public int read(ByteBuffer dst, long position) throws IOException {
        if (position < 4096) {
          headReads.incrementAndGet();
        }
        return super.read(dst, position);
      }
    };
    try (DiskImage d = DiskImage.open(counted, null)) {
      assertEquals(base.toString(), d.backingFileName());
      assertEquals("qcow2", d.backingFormat());
    }
    assertEquals(2, headReads.get(), "the probe of the format, then the head");
  }

  @Test
  void createRebaseAndCheckInAStorage() throws Exception {
    Files.createDirectories(dir.resolve("some/where"));
    Qemu.img("create", "-q", "-f", "raw", dir.resolve("some/where/base.raw").toString(), "5M");
    Qemu.img("create", "-q", "-f", "qcow2", dir.resolve("other.qcow2").toString(), "5M");
    Path out = dir.resolve("new.qcow2");
    try (Storage s = FileStorage.create(out)) {
      Qcow2Creator.create(s, 5L << 20, "some/where/base.raw", "raw", 4096, 3);
      CheckReport report = Checker.check(s, false);
      assertTrue(report.isClean(), report.toString());
      assertEquals(out.toString(), report.filename());
    }
    QemuInfo info = QemuInfo.of(out);
    assertEquals("some/where/base.raw", info.get("backing-filename"));
    assertEquals("raw", info.get("backing-filename-format"));
    assertEquals(5L << 20, info.number("virtual-size"));
    assertEquals(4096, info.number("cluster-size"));
    try (Storage s = FileStorage.openReadWrite(out)) {
      Qcow2Creator.rebaseUnsafe(s, "other.qcow2", "qcow2");
    }
    assertEquals("other.qcow2", QemuInfo.of(out).get("backing-filename"));
    assertEquals("qcow2", QemuInfo.of(out).get("backing-filename-format"));
    assertEquals(0, Qemu.check(out).exit());

    Path bad = dir.resolve("bad.qcow2");
    try (Storage s = FileStorage.create(bad)) {
      IllegalArgumentException e = assertThrows(
          IllegalArgumentException.class, () -> Qcow2Creator.create(s, 1 << 20, "base.qcow2", null, 65536, 3));
      assertTrue(e.getMessage().contains("a backing format is needed"), e.getMessage());
      assertThrows(UnsupportedImageException.class, () -> Qcow2Creator.create(s, 1 << 20, "base.vmdk", "vmdk", 65536, 3));
      assertEquals(0, s.size(), "nothing written");
    }
  }
}
