package dev.carryon.launcher.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MountTableTest {
  @Test
  void parsesMountsWithOptionalFieldsAndEscapedPoints() throws IOException {
    Map<Integer, MountTable.Mount> t =
        MountTable.parse(
            "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
                + "36 35 98:0 /mnt1 /media/my\\040usb rw,noatime master:1 shared:7 - vfat /dev/sdb1 rw\n"
                + "37 35 98:1 / /media/back\\134slash rw - ext4 /dev/sdc1 rw\n");
    assertEquals(List.of(22, 36, 37), List.copyOf(t.keySet()));
    MountTable.Mount usb = t.get(36);
    assertEquals(Path.of("/media/my usb"), usb.point());
    assertEquals("vfat", usb.fsType());
    assertEquals("/dev/sdb1", usb.source());
    assertTrue(usb.mayHoldFiles());
    assertEquals(Path.of("/media/back\\slash"), t.get(37).point());
    assertFalse(t.get(22).mayHoldFiles(), "proc holds no carrier");
  }

  @Test
  void refusesALineThatIsNotMountinfo() {
    IOException e =
        assertThrows(IOException.class, () -> MountTable.parse("22 27 0:21 / /proc rw,relatime proc\n"));
    assertTrue(e.getMessage().contains("not a mountinfo line: 22 27"), e.getMessage());
    e = assertThrows(IOException.class, () -> MountTable.parse("x 27 0:21 / /proc rw - proc proc rw\n"));
    assertTrue(e.getMessage().contains("mount id (x) is not a number"), e.getMessage());
  }

  @Test
  void leavesABackslashThatIsNoEscape() {
    assertEquals("a\\x", MountTable.unescape("a\\x"));
    assertEquals("a\\04", MountTable.unescape("a\\04"));
  }

  @Test
  void readsThisProcessTable() throws IOException {
    assertTrue(
        MountTable.read().values().stream().anyMatch(m -> m.point().equals(Path.of("/"))),
        "no root file system in " + MountTable.MOUNTINFO);
  }
}
