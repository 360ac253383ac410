package dev.carryon.sync.ext4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each damaged structure is refused with its own precise error, naming the image. */
class CorruptImageTest {
  /** Block size of {@link #image()}'s filesystem. */
  private static final int BS = 1024;
  /** Offset of i_block in an inode, and of the first extent after the extent header. */
  private static final int I_BLOCK = 0x28;

  @TempDir Path dir;
  /** Devices opened by a test, closed after it. */
  private final List<RawFileDevice> devices = new ArrayList<>();

  @AfterEach
  void close() throws IOException {
    for (RawFileDevice d : devices) {
      d.close();
    }
  }

  /** A small ext4 image with 1 KiB blocks: a file with extents, a directory, a slow symlink. */
  private Path image(String type) throws IOException {
    Path src = Files.createDirectory(dir.resolve("src-" + type));
    Files.writeString(src.resolve("hello.txt"), "hello\n");
    Path data = Files.createDirectory(src.resolve("data"));
    byte[] random = new byte[100_000];
    new Random(1).nextBytes(random);
    Files.write(data.resolve("random"), random);
    Files.writeString(data.resolve("a"), "a");
    Files.createSymbolicLink(src.resolve("link-slow"), Path.of("data/" + "./".repeat(40) + "a"));
    Path image = dir.resolve(type + ".img");
    E2fs.mkfs(image, type, "4M", src, "-b", Integer.toString(BS));
    return image;
  }

  private Ext4Filesystem open(Path image) throws IOException {
    RawFileDevice d = RawFileDevice.open(image);
    devices.add(d);
    return Ext4Filesystem.open(d, image.toString());
  }

  /** Runs {@code action}, expecting an error of {@code kind} whose message names the image. */
  private static Ext4Exception fails(Ext4Exception.Kind kind, Path image, String fragment,
      Action action) {
    Ext4Exception e = assertThrows(Ext4Exception.class, action::run);
    assertEquals(kind, e.kind(), e.getMessage());
    assertTrue(e.getMessage().startsWith(image + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: "
        + e.getMessage());
    return e;
  }

  interface Action {
    void run() throws IOException;
  }

  private static long superblock(int field) {
    return 1024 + field;
  }

  @Test
  void refusesABadMagic() throws IOException {
    Path image = image("ext4");
    E2fs.patch(image, superblock(0x38), 2, 0x1234);
    fails(Ext4Exception.Kind.NOT_EXT, image, "not an ext2/ext3/ext4 filesystem (superblock magic"
        + " 0x1234 at byte 1080, expected 0xef53)", () -> open(image));
  }

  @Test
  void refusesADeviceTooSmallForASuperblock() throws IOException {
    Path image = dir.resolve("tiny.img");
    Files.write(image, new byte[1500]);
    fails(Ext4Exception.Kind.NOT_EXT, image, "only 1500 bytes", () -> open(image));
  }

  @Test
  void namesAnUnsupportedFeature() throws IOException {
    Path image = image("ext4");
    E2fs.patch(image, superblock(0x60), 4, E2fs.peek(image, superblock(0x60), 4) | 0x10000);
    fails(Ext4Exception.Kind.UNSUPPORTED, image, "ext4 feature 'encrypt' is not supported",
        () -> open(image));
  }

  @Test
  void namesEveryUnsupportedFeature() throws IOException {
    Path image = image("ext4");
    long incompat = E2fs.peek(image, superblock(0x60), 4) | 0x1 | 0x1000 | 0x80000000L;
    E2fs.patch(image, superblock(0x60), 4, incompat);
    fails(Ext4Exception.Kind.UNSUPPORTED, image, "ext4 features 'compression', 'dirdata',"
        + " unknown 0x80000000 are not supported", () -> open(image));
  }

  @Test
  void refusesAnExternalJournalDevice() throws IOException {
    Path image = dir.resolve("journal.img");
    E2fs.mkfs(image, "ext4", "4M", null, "-O", "journal_dev", "-b", "4096");
    fails(Ext4Exception.Kind.UNSUPPORTED, image, "ext4 feature 'journal_dev' is not supported",
        () -> open(image));
  }

  @Test
  void acceptsAFilesystemThatNeedsRecoveryAndSaysSo() throws IOException {
    Path image = image("ext4");
    E2fs.patch(image, superblock(0x60), 4, E2fs.peek(image, superblock(0x60), 4) | 0x4);
    Ext4Filesystem fs = open(image);
    assertTrue(fs.needsRecovery());
    assertEquals("hello\n", new String(fs.open(fs.lookup("/hello.txt")).readAllBytes()));
  }

  @Test
  void refusesATruncatedImage() throws IOException {
    Path image = image("ext4");
    try (var ch = java.nio.channels.FileChannel.open(image,
        java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(1 << 20);
    }
    fails(Ext4Exception.Kind.CORRUPT, image, "the device holds only 1048576 bytes (truncated"
        + " image?)", () -> open(image));
  }

  @Test
  void refusesSuperblockGeometryOutOfRange() throws IOException {
    Path image = image("ext4");
    E2fs.patch(image, superblock(0x18), 4, 9);
    fails(Ext4Exception.Kind.CORRUPT, image, "superblock: block size 2^(10+9) is out of range",
        () -> open(image));
    E2fs.patch(image, superblock(0x18), 4, 0);
    E2fs.patch(image, superblock(0x58), 2, 100);
    fails(Ext4Exception.Kind.CORRUPT, image, "superblock: inode size 100 is not a power of two",
        () -> open(image));
    E2fs.patch(image, superblock(0x58), 2, 256);
    E2fs.patch(image, superblock(0x28), 4, 0);
    fails(Ext4Exception.Kind.CORRUPT, image, "superblock: inodes per group 0 is out of range",
        () -> open(image));
  }

  @Test
  void refusesAnInodeTableOffTheDevice() throws IOException {
    Path image = image("ext4");
    E2fs.patch(image, 2 * BS + 0x08, 4, 0xFFFFFF); // group 0's bg_inode_table_lo
    fails(Ext4Exception.Kind.CORRUPT, image, "the inode table of group 0 points at block"
        + " 16777215", () -> open(image));
  }

  @Test
  void refusesAnInodeInAnUninitializedTable() throws IOException {
    Path image = image("ext4");
    long flags = 2 * BS + 0x12; // group 0's bg_flags
    E2fs.patch(image, flags, 2, E2fs.peek(image, flags, 2) | 0x1);
    fails(Ext4Exception.Kind.CORRUPT, image, "inode 2 (the root directory) lies in group 0,"
        + " whose inode table is marked never initialized", () -> open(image));
  }

  @Test
  void refusesABadExtentHeaderMagic() throws IOException {
    Path image = image("ext4");
    long inode = E2fs.inodeOffset(image, "/data/random", BS);
    E2fs.patch(image, inode + I_BLOCK, 2, 0xBEEF);
    Ext4Filesystem fs = open(image);
    Ext4File f = fs.lookup("/data/random");
    fails(Ext4Exception.Kind.CORRUPT, image, "inode " + f.number() + ": the extent root has"
        + " extent header magic 0xbeef, expected 0xf30a", () -> fs.open(f));
  }

  @Test
  void refusesAnExtentNodeWithMoreEntriesThanRoom() throws IOException {
    Path image = image("ext4");
    long inode = E2fs.inodeOffset(image, "/data/random", BS);
    E2fs.patch(image, inode + I_BLOCK + 2, 2, 5);
    E2fs.patch(image, inode + I_BLOCK + 4, 2, 5);
    Ext4Filesystem fs = open(image);
    fails(Ext4Exception.Kind.CORRUPT, image, "the extent root claims 5 of 5 entries but has room"
        + " for 4", () -> fs.open(fs.lookup("/data/random")));
    E2fs.patch(image, inode + I_BLOCK + 2, 4, 4 << 16 | 1);
    E2fs.patch(image, inode + I_BLOCK + 6, 2, 9);
    Ext4Filesystem again = open(image);
    fails(Ext4Exception.Kind.CORRUPT, image, "the extent root has depth 9, expected at most 5",
        () -> again.open(again.lookup("/data/random")));
  }

  @Test
  void refusesAnExtentPastTheEndOfTheDevice() throws IOException {
    Path image = image("ext4");
    long inode = E2fs.inodeOffset(image, "/data/random", BS);
    E2fs.patch(image, inode + I_BLOCK + 12 + 8, 4, 0x7FFFFFF0L); // first extent's ee_start_lo
    Ext4Filesystem fs = open(image);
    fails(Ext4Exception.Kind.CORRUPT, image, "points at block 2147483632 (+98), past the end of"
        + " the filesystem (4096 blocks)", () -> fs.open(fs.lookup("/data/random")).read());
  }

  @Test
  void refusesABlockMapPointerPastTheEndOfTheDevice() throws IOException {
    Path image = image("ext2");
    long inode = E2fs.inodeOffset(image, "/data/random", BS);
    E2fs.patch(image, inode + I_BLOCK + 4 * 12, 4, 0xFFFFFFF0L); // the single indirect pointer
    Ext4Filesystem fs = open(image);
    byte[] buffer = new byte[100_000];
    fails(Ext4Exception.Kind.CORRUPT, image, "level-1 indirect block points at block 4294967280",
        () -> fs.open(fs.lookup("/data/random")).readNBytes(buffer, 0, buffer.length));
  }

  /** Entries of /data: "." at 0, ".." at 12, then the first named entry at 24. */
  private static long dataDirBlock(Path image) throws IOException {
    return E2fs.blocks(image, "/data").get(0) * BS;
  }

  @Test
  void refusesADirectoryEntryOverrunningItsBlock() throws IOException {
    Path image = image("ext4");
    E2fs.patch(image, dataDirBlock(image) + 24 + 4, 2, 0x2000);
    Ext4Filesystem fs = open(image);
    Ext4File data = fs.lookup("/data");
    fails(Ext4Exception.Kind.CORRUPT, image, "directory inode " + data.number() + ", block 0:"
        + " directory entry at offset 24 has rec_len 8192, which overruns the block (1024"
        + " bytes)", () -> fs.list(data));
  }

  @Test
  void refusesADirectoryEntryNameLongerThanItsRecord() throws IOException {
    Path image = image("ext4");
    long entry = dataDirBlock(image) + 24;
    long recLen = E2fs.peek(image, entry + 4, 2);
    E2fs.patch(image, entry + 6, 1, 250);
    Ext4Filesystem fs = open(image);
    fails(Ext4Exception.Kind.CORRUPT, image, "has name length 250, which does not fit its rec_len "
        + recLen, () -> fs.list(fs.lookup("/data")));
  }

  @Test
  void refusesADirectoryEntryWithASlash() throws IOException {
    Path image = image("ext4");
    E2fs.patch(image, dataDirBlock(image) + 24 + 8, new byte[] {'/'});
    Ext4Filesystem fs = open(image);
    fails(Ext4Exception.Kind.CORRUPT, image, "has an entry named '/', which contains '/' or NUL",
        () -> fs.list(fs.lookup("/data")));
  }

  @Test
  void refusesAnInodeNumberOutOfRange() throws IOException {
    Path image = image("ext4");
    E2fs.patch(image, dataDirBlock(image) + 24, 4, 0x7FFFFFFF);
    Ext4Filesystem fs = open(image);
    Ext4File data = fs.lookup("/data");
    Ext4Exception e = fails(Ext4Exception.Kind.CORRUPT, image, "inode number 2147483647 (entry '",
        () -> fs.list(data));
    assertTrue(e.getMessage().contains("' of directory inode " + data.number()
        + ") is out of range (1.."), e.getMessage());
  }

  @Test
  void refusesAnEntryNamingAnUnusedInode() throws IOException {
    Path image = image("ext4");
    E2fs.patch(image, dataDirBlock(image) + 24, 4, 100);
    Ext4Filesystem fs = open(image);
    fails(Ext4Exception.Kind.CORRUPT, image, "inode 100 has no valid file type (mode 00):"
        + " unused or damaged", () -> fs.list(fs.lookup("/data")));
  }

  @Test
  void refusesADirectorySizeThatIsNoWholeBlock() throws IOException {
    Path image = image("ext4");
    long inode = E2fs.inodeOffset(image, "/data", BS);
    E2fs.patch(image, inode + 0x04, 4, 1000);
    Ext4Filesystem fs = open(image);
    fails(Ext4Exception.Kind.CORRUPT, image, "has size 1000, not a whole number of 1024-byte"
        + " blocks", () -> fs.list(fs.lookup("/data")));
  }

  @Test
  void refusesAnOversizedSymlink() throws IOException {
    Path image = image("ext4");
    long inode = E2fs.inodeOffset(image, "/link-slow", BS);
    E2fs.patch(image, inode + 0x04, 4, 100_000);
    Ext4Filesystem fs = open(image);
    fails(Ext4Exception.Kind.CORRUPT, image, "has size 100000 (expected 1..1024)",
        () -> fs.lookup("/link-slow"));
  }

  @Test
  void readsTheSlowSymlinkOfAnUndamagedImage() throws IOException {
    Path image = image("ext4");
    Ext4Filesystem fs = open(image);
    assertEquals("a", new String(fs.open(fs.lookup("/link-slow")).readAllBytes()));
    assertEquals(86, fs.lookupNoFollow("/link-slow").size());
  }
}
