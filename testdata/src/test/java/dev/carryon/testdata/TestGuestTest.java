package dev.carryon.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts of {@link TestGuest} that need no build; booting is in {@link TestGuestBootTest}. */
class TestGuestTest {

  private final TestGuest guest = new TestGuest(Path.of("/cache"));

  @Test
  void appendGivesTheRecommendedLinePlusExtras() {
    assertEquals("console=ttyS0 panic=-1 no_timer_check quiet tick=0.5", guest.append());
    assertEquals("console=ttyS0 panic=-1 no_timer_check quiet tick=0.5 payload=0 fillmem=8",
        guest.append("payload=0", "fillmem=8"));
  }

  @Test
  void anExtraReplacesTheDefaultWithItsKey() {
    assertEquals("console=ttyS0 panic=-1 no_timer_check quiet tick=2", guest.append("tick=2"));
  }

  @Test
  void qemuCommandBootsTheCachedFilesFromTheGivenDisk() {
    List<String> cmd = guest.qemuCommand(Path.of("/tmp/a,b.qcow2"), Path.of("/tmp/con.log"),
        "tick=1");

    assertEquals("qemu-system-x86_64", cmd.get(0));
    assertEquals("/cache/vmlinuz", cmd.get(cmd.indexOf("-kernel") + 1));
    assertEquals("/cache/initramfs.img", cmd.get(cmd.indexOf("-initrd") + 1));
    assertEquals("console=ttyS0 panic=-1 no_timer_check quiet tick=1", cmd.get(cmd.indexOf("-append") + 1));
    assertEquals("file:/tmp/con.log", cmd.get(cmd.indexOf("-serial") + 1));
    assertEquals("pc-q35-7.2", cmd.get(cmd.indexOf("-M") + 1));
    assertEquals("256M", cmd.get(cmd.indexOf("-m") + 1));
    assertEquals("driver=file,node-name=disk0-file,filename=/tmp/a,,b.qcow2",
        cmd.get(cmd.indexOf("-blockdev") + 1));
  }

  @Test
  void copyDiskRefusesToOverwrite(@TempDir Path dir) throws IOException {
    Path cache = Files.createDirectory(dir.resolve("cache"));
    Files.writeString(cache.resolve("disk.qcow2"), "pristine");
    TestGuest g = new TestGuest(cache);

    Path copy = g.copyDiskTo(dir);
    assertEquals(dir.resolve("disk.qcow2"), copy);
    assertEquals("pristine", Files.readString(copy));
    assertThrows(FileAlreadyExistsException.class, () -> g.copyDiskTo(dir));
  }

  @Test
  void repoRootIsFoundAboveTheModuleFolder() {
    assertEquals(true, Files.isRegularFile(TestGuest.repoRoot().resolve("testdata/build-guest.sh")));
  }
}
