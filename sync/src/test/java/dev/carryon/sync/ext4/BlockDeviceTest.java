package dev.carryon.sync.ext4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Devices made from a reader, slices of a partitioned disk, and reads past their ends. */
class BlockDeviceTest {
  @TempDir Path dir;

  /** A filesystem at 1 MiB into a disk, as the first partition of a partitioned disk sits. */
  @Test
  void readsAFilesystemInsideASlice() throws IOException {
    Path src = Files.createDirectory(dir.resolve("src"));
    Files.writeString(src.resolve("hello.txt"), "hello from a partition\n");
    Path fsImage = dir.resolve("fs.img");
    E2fs.mkfs(fsImage, "ext4", "2M", src);
    Path disk = dir.resolve("disk.img");
    try (FileChannel in = FileChannel.open(fsImage);
        FileChannel out = FileChannel.open(disk, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      out.write(ByteBuffer.allocate(1), (3 << 20) + 4095); // transferFrom never extends a file
      assertEquals(in.size(), out.transferFrom(in, 1 << 20, in.size()));
    }
    try (RawFileDevice whole = RawFileDevice.open(disk)) {
      Ext4Exception notExt = assertThrows(Ext4Exception.class,
          () -> Ext4Filesystem.open(whole, "disk.img"));
      assertEquals(Ext4Exception.Kind.NOT_EXT, notExt.kind());
      BlockDevice partition = whole.slice(1 << 20, 2 << 20);
      assertEquals(2 << 20, partition.size());
      Ext4Filesystem fs = Ext4Filesystem.open(partition, "disk.img partition 1");
      assertEquals("hello from a partition\n",
          new String(fs.open(fs.lookup("/hello.txt")).readAllBytes()));
    }
  }

  @Test
  void refusesReadsPastTheEnd() throws IOException {
    BlockDevice dev = BlockDevice.of(100, (dst, offset) -> dst.put(new byte[dst.remaining()]));
    dev.read(ByteBuffer.allocate(100), 0);
    EOFException e = assertThrows(EOFException.class, () -> dev.read(ByteBuffer.allocate(2), 99));
    assertTrue(e.getMessage().contains("past the end of the device (100 bytes)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> dev.slice(50, 51));

    Path file = dir.resolve("ten");
    Files.write(file, new byte[10]);
    try (RawFileDevice raw = RawFileDevice.open(file)) {
      EOFException eof =
          assertThrows(EOFException.class, () -> raw.read(ByteBuffer.allocate(4), 8));
      assertTrue(eof.getMessage().startsWith(file + ": read of "), eof.getMessage());
    }
  }
}
