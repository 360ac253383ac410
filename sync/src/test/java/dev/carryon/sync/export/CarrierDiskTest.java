package dev.carryon.sync.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.sync.disk.VolumeException;
import dev.carryon.sync.ext4.E2fs;
import dev.carryon.sync.ext4.Ext4Exception;
import dev.carryon.sync.host.Disks;
import dev.carryon.testdata.TestGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exports from the current generation of carriers made over real disks. */
class CarrierDiskTest {
  @TempDir Path dir;

  @Test
  void exportsTheGuestsReadmeAsDebugfsReadsIt() throws IOException {
    Path disk = TestGuest.get().copyDiskTo(Files.createDirectories(dir.resolve("src")));
    Path carrier = Disks.carrier(dir.resolve("carrier"), disk, 2);
    // A session that changed clusters far from README: the export reads through the chain.
    Disks.session(carrier, dir.resolve("work"), "write -P 7 60M 64k");
    Carrier c = Carrier.open(carrier);
    Path raw = dir.resolve("disk.raw");
    Disks.run(0, "qemu-img", "convert", "-O", "raw", c.file(c.current().top()).toString(),
        raw.toString());
    byte[] expected = E2fs.cat(raw, "/README");
    assertTrue(expected.length > 0);

    try (CarrierDisk d = CarrierDisk.open(carrier);
        GuestSource src = GuestSource.open(d.device(), d.name(), "/README",
            GuestSource.Selection.DEFAULT)) {
      assertEquals(2, d.generation().number());
      assertEquals("the only file system on the disk", src.choice().reason());
      assertEquals("the whole disk", src.choice().volume().id());
      ExportSummary s = Exporter.toFolder(src, dir.resolve("out"), false, ExportProgress.NONE);
      assertEquals(1, s.files());
      assertEquals(expected.length, s.bytes());
    }
    try (CarrierDisk d = CarrierDisk.open(carrier);
        GuestSource src = GuestSource.open(d.device(), d.name(), "/no/such",
            GuestSource.Selection.DEFAULT)) {
      Ext4Exception e = assertThrows(Ext4Exception.class,
          () -> Exporter.toFolder(src, dir.resolve("out2"), false,
          ExportProgress.NONE));
      assertEquals(Ext4Exception.Kind.NOT_FOUND, e.kind());
    }
    assertArrayEquals(expected, Files.readAllBytes(dir.resolve("out/README")));
  }

  @Test
  void aDiskWithoutExt4IsRefused() throws IOException {
    Path base = Disks.qcow2(Files.createDirectories(dir.resolve("src")).resolve("b.qcow2"),
        4 << 20, 1, 1);
    Path carrier = Disks.carrier(dir.resolve("carrier"), base, 2);
    try (CarrierDisk d = CarrierDisk.open(carrier)) {
      VolumeException e = assertThrows(VolumeException.class, () -> GuestSource.open(d.device(),
          d.name(), "/", GuestSource.Selection.DEFAULT));
      assertEquals(carrier + " (generation 1) holds no file system to export from. It holds:"
          + " the whole disk: unknown contents", e.getMessage());
    }
  }
}
