package dev.carryon.launcher.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LockHoldersTest {
  @Test
  void findsTheHolderOfAGrantedLockOnly() {
    String locks =
        "1: FLOCK  ADVISORY  WRITE 4400 fe:00:2154522 0 EOF\n"
            + "2: POSIX  ADVISORY  WRITE 30763 08:11:402116 0 EOF\n"
            + "2: -> POSIX  ADVISORY  WRITE 555 08:11:402117 0 EOF\n";
    assertEquals(OptionalLong.of(30763), LockHolders.holderIn(locks, 8, 0x11, 402116));
    assertEquals(OptionalLong.of(4400), LockHolders.holderIn(locks, 0xfe, 0, 2154522));
    assertEquals(OptionalLong.empty(), LockHolders.holderIn(locks, 8, 0x11, 402117));
    assertEquals(OptionalLong.empty(), LockHolders.holderIn("garbage\n\n", 8, 0x11, 402116));
  }

  @Test
  void seesThisProcessLockingAFile(@TempDir Path dir) throws IOException {
    Path file = Files.createFile(dir.resolve("carryon.lock"));
    assertEquals(OptionalLong.empty(), LockHolders.of(file));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
        FileLock lock = ch.lock()) {
      assertEquals(OptionalLong.of(ProcessHandle.current().pid()), LockHolders.of(file));
    }
    assertEquals(OptionalLong.empty(), LockHolders.of(file));
    assertEquals(OptionalLong.empty(), LockHolders.of(dir.resolve("absent")));
  }
}
