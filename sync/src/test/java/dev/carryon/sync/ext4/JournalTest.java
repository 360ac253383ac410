package dev.carryon.sync.ext4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A filesystem with committed transactions still in its journal (written by debugfs' journal
 * commands, as a guest that was never unmounted leaves it) reads as e2fsck leaves it after
 * replaying the journal.
 */
class JournalTest {
  private static final int BS = 1024;

  @TempDir Path dir;
  private Path image;
  /** Device block holding the first data block of /f. */
  private long fBlock;

  private void build() throws IOException {
    Path src = Files.createDirectory(dir.resolve("src"));
    Files.writeString(src.resolve("f"), "old.".repeat(750));
    Files.createDirectory(src.resolve("d"));
    Files.writeString(src.resolve("d/name-one"), "1");
    image = dir.resolve("fs.img");
    E2fs.mkfs(image, "ext4", "4M", src, "-b", Integer.toString(BS));
    fBlock = E2fs.blocks(image, "/f").get(0);
  }

  /** A file holding whole blocks for {@code jw -b}. */
  private Path block(byte[] content) throws IOException {
    Path p = Files.createTempFile(dir, "block", ".bin");
    Files.write(p, Arrays.copyOf(content, (content.length + BS - 1) / BS * BS));
    return p;
  }

  private static byte[] text(String repeated) {
    return repeated.repeat(BS / repeated.length() + 1).substring(0, BS).getBytes();
  }

  /** What e2fsck makes of the image: a replayed copy, read by debugfs. */
  private byte[] afterFsck(String path) throws IOException, InterruptedException {
    Path copy = dir.resolve("fsck.img");
    Files.copy(image, copy, StandardCopyOption.REPLACE_EXISTING);
    E2fs.fsck(copy);
    return E2fs.cat(copy, path);
  }

  private byte[] read(String path) throws IOException {
    try (RawFileDevice dev = RawFileDevice.open(image)) {
      Ext4Filesystem fs = Ext4Filesystem.open(dev, image.toString());
      assertTrue(fs.needsRecovery());
      return fs.open(fs.lookup(path)).readAllBytes();
    }
  }

  @ParameterizedTest(name = "checksums {0}")
  @ValueSource(booleans = {false, true})
  void replaysCommittedBlocks(boolean checksums) throws Exception {
    build();
    byte[] before = E2fs.cat(image, "/f");
    E2fs.debugfsWrite(image, checksums ? "jo -c" : "jo",
        "jw -b " + fBlock + " " + block(text("NEW!")), "jc");
    assertArrayEquals(before, E2fs.cat(image, "/f"), "debugfs does not replay");
    byte[] expected = afterFsck("/f");
    assertFalse(Arrays.equals(before, expected));
    assertArrayEquals(expected, read("/f"));
  }

  @Test
  void skipsRevokedAndUncommittedBlocks() throws Exception {
    build();
    long second = E2fs.blocks(image, "/f").get(1);
    E2fs.debugfsWrite(image, "jo -c",
        "jw -b " + fBlock + "," + second + " " + block(("ZZZZ".repeat(BS / 2)).getBytes()),
        "jw -r " + fBlock, // the next transaction revokes the first block
        "jw -b " + second + " -c " + block(text("LOST")), // never committed
        "jc");
    byte[] expected = afterFsck("/f");
    assertArrayEquals(expected, read("/f"));
    byte[] actual = read("/f");
    assertEquals('o', actual[0], "revoked: the old first block");
    assertEquals('Z', actual[BS], "committed: the new second block");
  }

  @Test
  void restoresTheMagicOfEscapedBlocks() throws Exception {
    build();
    byte[] content = text("esc.");
    ByteBuffer.wrap(content).putInt(0xC03B3998);
    E2fs.debugfsWrite(image, "jo", "jw -b " + fBlock + " " + block(content), "jc");
    String log = E2fs.debugfs(image, "logdump -a");
    assertTrue(log.contains("FS block " + fBlock + " logged at journal block 2 (flags 0x9)"),
        "expected an escaped last tag:\n" + log);
    assertArrayEquals(afterFsck("/f"), read("/f"));
    assertArrayEquals(content, Arrays.copyOf(read("/f"), BS));
  }

  @Test
  void replaysMetadataBlocks() throws Exception {
    build();
    long dirBlock = E2fs.blocks(image, "/d").get(0);
    byte[] block = new byte[BS];
    try (FileChannel ch = FileChannel.open(image)) {
      ch.read(ByteBuffer.wrap(block), dirBlock * BS);
    }
    byte[] renamed = new String(block, "ISO-8859-1").replace("name-one", "name-two")
        .getBytes("ISO-8859-1");
    E2fs.debugfsWrite(image, "jo", "jw -b " + dirBlock + " " + block(renamed), "jc");
    try (RawFileDevice dev = RawFileDevice.open(image)) {
      Ext4Filesystem fs = Ext4Filesystem.open(dev, image.toString());
      List<String> names = new ArrayList<>();
      fs.list(fs.lookup("/d")).forEach(e -> names.add(e.name()));
      assertEquals(List.of("name-two"), names);
      assertEquals("1", new String(fs.open(fs.lookup("/d/name-two")).readAllBytes()));
    }
    assertArrayEquals("1".getBytes(), afterFsck("/d/name-two"));
  }

  @Test
  void refusesADamagedJournalSuperblock() throws Exception {
    build();
    E2fs.debugfsWrite(image, "jo", "jw -b " + fBlock + " " + block(text("NEW!")), "jc");
    long journalSb = Long.parseLong(E2fs.debugfs(image, "bmap <8> 0").trim());
    E2fs.patch(image, journalSb * BS, 4, 0x12345678);
    Ext4Exception e = assertThrows(Ext4Exception.class, () -> read("/f"));
    assertEquals(Ext4Exception.Kind.CORRUPT, e.kind());
    assertEquals(image + ": journal inode 8: superblock magic 0x78563412 type 4, expected"
        + " 0xc03b3998 type 3 or 4", e.getMessage());
  }
}
