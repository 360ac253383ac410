package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Images made by {@link Qcow2Creator} as qemu-img sees them, written by QEMU and read back. */
class Qcow2CreatorTest {
  static final long SIZE = 3L << 20;

  @TempDir Path dir;

  /**
   * @param backing "none", "qcow2" or "raw": what the new image sits on
   * @param recordFormat whether the caller names the backing format (else it is probed)
   */
  static Stream<Arguments> layouts() {
    return Stream.of(
        Arguments.of("none", false, 65536, 3),
        Arguments.of("none", false, 512, 3),
        Arguments.of("none", false, 2 << 20, 3),
        Arguments.of("none", false, 4096, 2),
        Arguments.of("qcow2", true, 65536, 3),
        Arguments.of("qcow2", false, 16384, 3),
        Arguments.of("raw", true, 4096, 2),
        Arguments.of("raw", false, 65536, 3));
  }

  @ParameterizedTest(name = "backing {0} (format given: {1}), cluster {2}, version {3}")
  @MethodSource("layouts")
  void qemuAgreesAndCanWriteIntoIt(String backing, boolean recordFormat, int clusterSize, int version)
      throws Exception {
    Path out = dir.resolve("new.qcow2");
    String backingName = null;
    if (!backing.equals("none")) {
      backingName = "base." + backing;
      Qemu.img("create", "-q", "-f", backing, dir.resolve(backingName).toString(), Long.toString(SIZE));
      Qemu.io(dir.resolve(backingName), "write -P 0x5a 0 64k", "write -P 0x5b 2M 4k");
    }
    long size = backingName == null ? SIZE : -1; // -1: take the backing file's size
    Qcow2Creator.create(out, size, backingName, recordFormat ? backing : null, clusterSize, version);

    QemuInfo info = QemuInfo.of(out);
    assertEquals("qcow2", info.get("format"), info.toString());
    assertEquals(SIZE, info.number("virtual-size"));
    assertEquals(clusterSize, info.number("cluster-size"));
    assertEquals(version == 3 ? "1.1" : "0.10", info.get("compat"));
    assertEquals(backingName, info.get("backing-filename"));
    assertEquals(backingName == null ? null : backing, info.get("backing-filename-format"));
    assertEquals(0, Qemu.check(out).exit(), "qemu-img check of a new image");
    assertTrue(Checker.check(out).isClean(), "our check of a new image");

    // QEMU writes into it (new L2 tables, refcount growth); the engine reads what QEMU reads.
    Qemu.io(out, "write -P 0x71 4k 8k", "write -P 0x72 1M 200k", "write -P 0x73 " + (SIZE - 512) + " 512");
    assertEquals(0, Qemu.check(out).exit(), "qemu-img check after QEMU wrote");
    byte[] qemu = MergeOracleTest.qemuRaw(out);
    assertArrayEquals(qemu, MergeOracleTest.engineRaw(out), MergeOracleTest.firstDifference(qemu, MergeOracleTest.engineRaw(out)));
    assertTrue(Checker.check(out).isClean(), "our check after QEMU wrote: " + Checker.check(out));
  }

  @Test
  void existingFileIsRefusedAndKept() throws Exception {
    Path out = dir.resolve("taken.qcow2");
    Files.writeString(out, "mine");
    assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> Qcow2Creator.create(out, SIZE, null, null));
    assertEquals("mine", Files.readString(out));
  }

  @Test
  void missingBackingIsRefusedAndNothingIsLeft() {
    Path out = dir.resolve("over-nothing.qcow2");
    BackingChainException e =
        assertThrows(BackingChainException.class, () -> Qcow2Creator.create(out, -1, "absent.qcow2", null));
    assertTrue(e.getMessage().contains("absent.qcow2"), e.getMessage());
    assertFalse(Files.exists(out));
  }

  @Test
  void rebaseUnsafeMatchesQemuImgRebase() throws Exception {
    for (String format : List.of("qcow2", "raw")) {
      Path one = dir.resolve("one.qcow2");
      Path two = dir.resolve("two." + format);
      Files.deleteIfExists(two);
      if (!Files.exists(one)) {
        Qemu.img("create", "-q", "-f", "qcow2", one.toString(), Long.toString(SIZE));
      }
      Qemu.img("create", "-q", "-f", format, two.toString(), Long.toString(SIZE));
      Path ours = dir.resolve("ours-" + format + ".qcow2");
      Path theirs = dir.resolve("theirs-" + format + ".qcow2");
      Qemu.img("create", "-q", "-f", "qcow2", "-b", "one.qcow2", "-F", "qcow2", ours.toString());
      Qemu.io(ours, "write -P 0x66 128k 64k");
      Files.copy(ours, theirs);
      byte[] before = Files.readAllBytes(ours);

      Qcow2Creator.rebaseUnsafe(ours, two.getFileName().toString(), format);
      Qemu.img("rebase", "-u", "-b", two.getFileName().toString(), "-F", format, theirs.toString());

      QemuInfo info = QemuInfo.of(ours);
      assertEquals(two.getFileName().toString(), info.get("backing-filename"));
      assertEquals(format, info.get("backing-filename-format"));
      assertEquals(
          QemuInfo.of(theirs).toString().replace("theirs-", "ours-").replaceAll("\"actual-size\": \\d+", ""),
          info.toString().replaceAll("\"actual-size\": \\d+", ""));
      assertEquals(0, Qemu.check(ours).exit());
      assertEquals(0, Qemu.run(List.of("qemu-img", "compare", ours.toString(), theirs.toString())).exit());
      // Only the header cluster changed, and QEMU's feature-name table extension is still there.
      byte[] after = Files.readAllBytes(ours);
      int cluster = 65536;
      assertArrayEquals(Arrays.copyOfRange(before, cluster, before.length), Arrays.copyOfRange(after, cluster, after.length));
      assertTrue(hasExtension(before, 0x6803f857) && hasExtension(after, 0x6803f857), "feature table kept");
    }
  }

  @Test
  void rebaseUnsafeCanDropTheBackingFile() throws Exception {
    Path base = dir.resolve("base.qcow2");
    Path top = dir.resolve("top.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", base.toString(), Long.toString(SIZE));
    Qemu.img("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top.toString());
    Qcow2Creator.rebaseUnsafe(top, null, null);
    QemuInfo info = QemuInfo.of(top);
    assertNull(info.get("backing-filename"), info.toString());
    assertNull(info.get("backing-filename-format"));
    assertEquals(0, Qemu.check(top).exit());
    try (DiskImage image = DiskImage.open(top, false)) {
      assertNull(image.backingFileName());
      ByteBuffer b = ByteBuffer.allocate(512);
      image.read(b, 0);
      assertArrayEquals(new byte[512], b.array());
    }
  }

  /** Whether the header extension area (after the 112-byte v3 header) holds {@code type}. */
  private static boolean hasExtension(byte[] image, int type) {
    ByteBuffer b = ByteBuffer.wrap(image);
    for (int at = b.getInt(100); at + 8 <= 65536; ) {
      int t = b.getInt(at);
      if (t == 0) {
        return false;
      }
      if (t == type) {
        return true;
      }
      at += 8 + (b.getInt(at + 4) + 7) / 8 * 8;
    }
    return false;
  }
}
