package dev.carryon.sync.ext4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Reads images built by mke2fs from a known host tree and compares every entry with it. */
class Ext4FilesystemTest {
  @TempDir static Path shared;
  static Path source;
  @TempDir Path dir;
  /** The image {@link #plainImage()} opened, closed after each test. */
  private RawFileDevice device;

  @BeforeAll
  static void createSource() throws IOException {
    source = Files.createDirectory(shared.resolve("source"));
    SourceTree.create(source);
  }

  /** mke2fs variants: fs type, block size, inode size, feature sets. */
  static Stream<Arguments> layouts() {
    return Stream.of(
        Arguments.of("ext4", new String[] {"-b", "4096"}),
        Arguments.of("ext4", new String[] {"-b", "1024", "-I", "128"}),
        Arguments.of("ext4", new String[] {"-b", "2048", "-O", "^64bit"}),
        Arguments.of("ext4", new String[] {"-O", "^extent,^64bit"}),
        Arguments.of("ext4", new String[] {"-O", "inline_data"}),
        Arguments.of("ext4", new String[] {"-b", "1024", "-O", "inline_data", "-I", "512"}),
        // 300 one-block files would not fit in 16 MiB of 64 KiB blocks: keep them inline.
        Arguments.of("ext4", new String[] {"-b", "65536", "-O", "inline_data", "-N", "1024"}),
        Arguments.of("ext4", new String[] {"-b", "1024", "-O", "meta_bg,^resize_inode"}),
        Arguments.of("ext4", new String[] {"-O", "bigalloc", "-C", "16384"}),
        Arguments.of("ext4", new String[] {"-b", "4096", "-O", "bigalloc", "-C", "16384"}),
        Arguments.of("ext3", new String[] {"-b", "2048"}),
        Arguments.of("ext2", new String[] {"-b", "1024"}),
        Arguments.of("ext2", new String[] {"-b", "4096", "-I", "128"}));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("layouts")
  void readsEveryEntryOfTheSourceTree(String type, String[] options) throws IOException {
    Path image = dir.resolve("fs.img");
    E2fs.mkfs(image, type, "16M", source, options);
    try (RawFileDevice dev = RawFileDevice.open(image)) {
      Ext4Filesystem fs = Ext4Filesystem.open(dev, image.toString());
      int seen = TreeAssert.assertSameTree(source, fs, "/");
      try (Stream<Path> all = Files.walk(source)) {
        assertEquals(all.count(), seen);
      }
      assertMatchesDebugfs(image, fs, "/");
      assertMatchesDebugfs(image, fs, "/many");
      assertArrayEquals(E2fs.cat(image, "/data/random-100k"),
          fs.open(fs.lookup("/link-abs")).readAllBytes());
      assertFalse(fs.needsRecovery());
    }
  }

  /** debugfs' {@code ls -p} (inode, mode, size per name) must list what {@code list} does. */
  private static void assertMatchesDebugfs(Path image, Ext4Filesystem fs, String path)
      throws IOException {
    Map<String, String> expected = new HashMap<>();
    for (String line : E2fs.debugfs(image, "ls -p " + path).split("\n")) {
      String[] f = line.split("/", -1); // "/inode/mode/uid/gid/name/size/"
      if (f.length >= 7 && !f[5].equals(".") && !f[5].equals("..")) {
        expected.put(f[5], f[1] + " " + f[2] + " " + f[6]);
      }
    }
    Map<String, String> actual = new HashMap<>();
    for (Ext4Entry e : fs.list(fs.lookup(path))) {
      Ext4File f = e.file();
      boolean dir = f.type() == FileType.DIRECTORY;
      actual.put(e.name(), String.format("%d %06o %s", f.number(),
          typeBits(f.type()) | f.permissions(), dir ? "" : f.size()));
    }
    assertEquals(expected, actual, "ls -p " + path);
  }

  private static int typeBits(FileType type) {
    switch (type) {
      case REGULAR:
        return 0100000;
      case DIRECTORY:
        return 040000;
      case SYMLINK:
        return 0120000;
      case FIFO:
        return 010000;
      default:
        throw new AssertionError(type);
    }
  }

  @Test
  void resolvesPathsAndSymlinksLikeTheKernel() throws IOException {
    Ext4Filesystem fs = plainImage();
    long random100k = fs.lookup("/data/random-100k").number();
    assertEquals(random100k, fs.lookup("/link-abs").number());
    assertEquals(random100k, fs.lookup("/link-dir/random-100k").number());
    assertEquals(random100k, fs.lookup("/link-dir/../link-dir/./random-100k").number());
    assertEquals(random100k, fs.lookup("/../../data//random-100k").number());
    assertEquals(fs.lookup("/data/random-3000").number(), fs.lookup("/link-slow").number());
    assertEquals(FileType.SYMLINK, fs.lookupNoFollow("/link-dir").type());
    assertEquals(FileType.DIRECTORY, fs.lookup("/link-dir").type());
    assertEquals(FileType.DIRECTORY, fs.lookupNoFollow("/link-dir/").type());
    assertEquals(fs.root().number(), fs.lookup("/").number());
    assertEquals(2, fs.root().number());
    assertEquals("/data/random-100k", fs.readLink(fs.lookupNoFollow("/link-abs")));
    assertEquals(SourceTree.MTIME, fs.lookup("/hello.txt").lastModified());
    assertThrows(IllegalArgumentException.class, () -> fs.lookup("hello.txt"));
    assertEquals("guest-root", fs.label());
    assertEquals(1, fs.lookup("/hello.txt").linkCount());
    assertEquals(2, fs.lookup("/data/").linkCount()); // its name and its "."
  }

  @Test
  void refusesMissingPathsNamingTheComponent() throws IOException {
    Ext4Filesystem fs = plainImage();
    Ext4Exception e = assertThrows(Ext4Exception.class, () -> fs.lookup("/data/nope/deeper"));
    assertEquals(Ext4Exception.Kind.NOT_FOUND, e.kind());
    assertTrue(e.getMessage().endsWith("fs.img: /data/nope/deeper: no 'nope' in /data"),
        e.getMessage());
    e = assertThrows(Ext4Exception.class, () -> fs.lookup("/dangling"));
    assertEquals(Ext4Exception.Kind.NOT_FOUND, e.kind());
    assertTrue(e.getMessage().endsWith("/dangling: no 'nowhere' in /"), e.getMessage());
    assertEquals(FileType.SYMLINK, fs.lookupNoFollow("/dangling").type());
  }

  @Test
  void refusesWrongTypes() throws IOException {
    Ext4Filesystem fs = plainImage();
    Ext4Exception e = assertThrows(Ext4Exception.class, () -> fs.lookup("/hello.txt/x"));
    assertEquals(Ext4Exception.Kind.NOT_DIRECTORY, e.kind());
    assertTrue(e.getMessage().endsWith("/hello.txt/x: /hello.txt is not a directory (it is a"
        + " REGULAR)"), e.getMessage());
    e = assertThrows(Ext4Exception.class, () -> fs.list(fs.lookup("/hello.txt")));
    assertEquals(Ext4Exception.Kind.NOT_DIRECTORY, e.kind());
    e = assertThrows(Ext4Exception.class, () -> fs.open(fs.lookup("/data")));
    assertEquals(Ext4Exception.Kind.WRONG_TYPE, e.kind());
    assertTrue(e.getMessage().contains("is a DIRECTORY, not a regular file"), e.getMessage());
    e = assertThrows(Ext4Exception.class, () -> fs.readLink(fs.lookup("/hello.txt")));
    assertEquals(Ext4Exception.Kind.WRONG_TYPE, e.kind());
  }

  @Test
  void refusesSymlinkLoops() throws IOException {
    Ext4Filesystem fs = plainImage();
    for (String path : List.of("/loop-a", "/loop-b/x", "/link-dir/../loop-a/y")) {
      Ext4Exception e = assertThrows(Ext4Exception.class, () -> fs.lookup(path));
      assertEquals(Ext4Exception.Kind.SYMLINK_LOOP, e.kind(), path);
      assertTrue(e.getMessage().contains(path + ": more than 40 symbolic links followed"),
          e.getMessage());
    }
    assertEquals(FileType.SYMLINK, fs.lookupNoFollow("/loop-a").type());
  }

  /**
   * A file written by debugfs into a full filesystem whose free space is only small holes gets
   * more extents than the inode holds: an extent tree of depth 1.
   */
  @Test
  void readsFilesWithDeepExtentTrees() throws IOException {
    Path holes = Files.createDirectory(dir.resolve("holes"));
    byte[] two = new byte[2048];
    Arrays.fill(two, (byte) 0x11);
    for (int i = 0; i < 200; i++) {
      Files.write(holes.resolve(String.format("f%03d", i)), two);
    }
    Path image = dir.resolve("frag.img");
    E2fs.mkfs(image, "ext4", "4M", holes, "-b", "1024");
    Matcher free = Pattern.compile("Free blocks:\\s+(\\d+)")
        .matcher(E2fs.debugfs(image, "stats"));
    assertTrue(free.find());
    Path fill = dir.resolve("fill");
    byte[] ones = new byte[(Integer.parseInt(free.group(1)) - 20) * 1024];
    Arrays.fill(ones, (byte) 0xff);
    Files.write(fill, ones);
    List<String> requests = new ArrayList<>(List.of("write " + fill + " fill"));
    for (int i = 0; i < 200; i += 2) {
      requests.add(String.format("rm /f%03d", i));
    }
    E2fs.debugfsWrite(image, requests.toArray(String[]::new));
    byte[] content = new byte[150_000];
    new Random(7).nextBytes(content);
    Path big = dir.resolve("big");
    Files.write(big, content);
    E2fs.debugfsWrite(image, "write " + big + " big");
    String extents = E2fs.debugfs(image, "ex /big");
    assertTrue(extents.lines().filter(l -> l.startsWith(" 1/ 1")).count() > 4,
        "expected a depth-1 tree with more than 4 leaf extents:\n" + extents);

    try (RawFileDevice dev = RawFileDevice.open(image)) {
      Ext4Filesystem fs = Ext4Filesystem.open(dev, image.toString());
      assertArrayEquals(content, fs.open(fs.lookup("/big")).readAllBytes());
      assertArrayEquals(E2fs.cat(image, "/big"), fs.open(fs.lookup("/big")).readAllBytes());
    }
  }

  /** fallocate'd blocks are allocated but unwritten: they read as zeroes, not as old data. */
  @Test
  void readsUninitializedExtentsAsZeroes() throws IOException {
    Path src = Files.createDirectory(dir.resolve("src"));
    byte[] head = new byte[8192];
    Arrays.fill(head, (byte) 0x5a);
    Files.write(src.resolve("f"), head);
    Path junk = dir.resolve("junk");
    byte[] ones = new byte[1 << 20];
    Arrays.fill(ones, (byte) 0xff);
    Files.write(junk, ones);
    Path image = dir.resolve("uninit.img");
    E2fs.mkfs(image, "ext4", "4M", src, "-b", "4096");
    // Fill free space with 0xff and free it again, so unwritten blocks hold visible garbage.
    E2fs.debugfsWrite(image, "write " + junk + " junk", "rm /junk");
    E2fs.debugfsWrite(image, "fallocate /f 2 40", "sif /f size " + 41 * 4096);
    String extents = E2fs.debugfs(image, "ex /f");
    assertTrue(extents.contains("Uninit"), extents);

    try (RawFileDevice dev = RawFileDevice.open(image)) {
      Ext4Filesystem fs = Ext4Filesystem.open(dev, image.toString());
      byte[] expected = new byte[41 * 4096];
      System.arraycopy(head, 0, expected, 0, head.length);
      byte[] actual = fs.open(fs.lookup("/f")).readAllBytes();
      assertArrayEquals(expected, actual);
    }
  }

  /** Large inodes keep nanoseconds and two epoch bits past 2038. */
  @Test
  void readsExtraTimestampBits() throws IOException {
    Path image = dir.resolve("t.img");
    Path src = Files.createDirectory(dir.resolve("src"));
    Files.writeString(src.resolve("t"), "t");
    E2fs.mkfs(image, "ext4", "4M", src);
    E2fs.debugfsWrite(image, "sif /t mtime 0x10", "sif /t mtime_extra " + (123456789L << 2 | 1));
    try (RawFileDevice dev = RawFileDevice.open(image)) {
      Ext4Filesystem fs = Ext4Filesystem.open(dev, image.toString());
      assertEquals(Instant.ofEpochSecond((1L << 32) + 0x10, 123456789),
          fs.lookup("/t").lastModified());
    }
  }

  /**
   * With 512-byte inodes, inline data continues from i_block into the system.data attribute; a
   * small directory is inline too (mke2fs never continues a directory into the attribute).
   */
  @Test
  void readsInlineDataContinuedInTheInode() throws IOException {
    Path image = dir.resolve("inline.img");
    E2fs.mkfs(image, "ext4", "16M", source, "-O", "inline_data", "-I", "512");
    assertTrue(E2fs.debugfs(image, "stat /data/inline-200").contains("Size of inline data: 200"));
    assertTrue(E2fs.debugfs(image, "stat /restricted").contains("Flags: 0x10000000"));
    try (RawFileDevice dev = RawFileDevice.open(image)) {
      Ext4Filesystem fs = Ext4Filesystem.open(dev, image.toString());
      assertArrayEquals(Files.readAllBytes(source.resolve("data/inline-200")),
          fs.open(fs.lookup("/data/inline-200")).readAllBytes());
      assertEquals(List.of("inside"),
          fs.list(fs.lookup("/restricted")).stream().map(Ext4Entry::name).toList());
    }
  }

  @Test
  void streamsSkipAndReadSingleBytes() throws IOException {
    Ext4Filesystem fs = plainImage();
    byte[] all = Files.readAllBytes(source.resolve("data/random-100k"));
    try (InputStream in = fs.open(fs.lookup("/data/random-100k"))) {
      assertEquals(Byte.toUnsignedInt(all[0]), in.read());
      assertEquals(50_000, in.skip(50_000));
      assertEquals(Byte.toUnsignedInt(all[50_001]), in.read());
      assertArrayEquals(Arrays.copyOfRange(all, 50_002, all.length), in.readAllBytes());
      assertEquals(-1, in.read());
    }
  }

  private Ext4Filesystem plainImage() throws IOException {
    Path image = dir.resolve("fs.img");
    E2fs.mkfs(image, "ext4", "16M", source, "-L", "guest-root");
    device = RawFileDevice.open(image);
    return Ext4Filesystem.open(device, image.toString());
  }

  @AfterEach
  void closeDevice() throws IOException {
    if (device != null) {
      device.close();
    }
  }
}
