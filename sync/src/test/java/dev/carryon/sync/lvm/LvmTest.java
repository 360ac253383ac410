package dev.carryon.sync.lvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.sync.ext4.BlockDevice;
import dev.carryon.sync.ext4.E2fs;
import dev.carryon.sync.ext4.Ext4Filesystem;
import dev.carryon.sync.ext4.RawFileDevice;
import dev.carryon.sync.partition.Sfdisk;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Volume groups made by LVM2's own tools on loop devices over a GPT disk image, read back in pure
 * Java. The disk: partition 1 (not LVM), partitions 2 and 3 (LVM), extents of 1 MiB.
 */
class LvmTest {
  private static final long MIB = 1 << 20;
  /** Byte offsets and lengths of partitions 2 and 3. */
  private static final long P2 = 8 * MIB;
  private static final long P2_SIZE = 24 * MIB;
  private static final long P3 = 32 * MIB;
  private static final long P3_SIZE = 31 * MIB;
  private static final String GPT = "label: gpt\n"
      + "start=1MiB, size=7MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n"
      + "start=8MiB, size=24MiB, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n"
      + "start=32MiB, size=31MiB, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n";

  @TempDir Path dir;
  /** A volume group name no other test on this machine uses. */
  private final String vg = "carryon" + Long.toHexString(new Random().nextLong() & 0xFFFFFFL);

  @Test
  void readsLinearVolumesWhereLvmPutThem() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("disk.img"), 64 * MIB, GPT);
    Path rootFs = dir.resolve("root.img");
    Path homeFs = dir.resolve("home.img");
    String sizes;
    try (LvmTool lvm = LvmTool.attach(disk, P2, P2_SIZE)) {
      lvm.run("pvcreate", "-q", lvm.loop(0));
      lvm.run("vgcreate", "-q", "-s", "1M", vg, lvm.loop(0));
      lvm.lvcreate(vg, "root", 6);
      lvm.lvcreate(vg, "swap", 2);
      lvm.run("lvextend", "-q", "-l", "+4", vg + "/root"); // root now has two segments
      lvm.lvcreate(vg, "home", 4);
      makeFs(rootFs, 10, "root");
      makeFs(homeFs, 4, "home");
      lvm.writeVolume(vg + "/root", rootFs);
      lvm.writeVolume(vg + "/home", homeFs);
      sizes = lvm.run("lvs", "--noheadings", "--units", "b", "--nosuffix", "-o",
          "lv_name,lv_size", vg);
    }

    try (RawFileDevice d = RawFileDevice.open(disk)) {
      List<VolumeGroup> groups = Lvm.scan(List.of(new Lvm.Device(d.slice(P2, P2_SIZE), "p2")));
      assertEquals(1, groups.size());
      VolumeGroup g = groups.get(0);
      assertEquals(vg, g.name());
      List<String> lines = new ArrayList<>();
      for (LogicalVolume lv : g.logicalVolumes()) {
        lines.add(lv.name() + " " + lv.size());
        assertTrue(lv.visible() && lv.unsupported() == null, lv.name());
      }
      assertEquals(sizes.strip().lines().map(l -> l.strip().replaceAll("\\s+", " ")).sorted()
          .toList(), lines.stream().sorted().toList());
      assertSameBytes(rootFs, g.logicalVolume("root").open());
      assertSameBytes(homeFs, g.logicalVolume("home").open());
      Ext4Filesystem fs = Ext4Filesystem.open(g.logicalVolume("root").open(), vg + "/root");
      assertEquals("root", fs.label());
      assertArrayEquals(E2fs.cat(rootFs, "/data/random.bin"),
          fs.open(fs.lookup("/data/random.bin")).readAllBytes());
    }
  }

  @Test
  void metadataThatWrapsRoundItsAreaIsRead() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("disk.img"), 64 * MIB, GPT);
    try (LvmTool lvm = LvmTool.attach(disk, P2, P2_SIZE)) {
      lvm.run("pvcreate", "-q", lvm.loop(0));
      lvm.run("vgcreate", "-q", "-s", "1M", vg, lvm.loop(0));
      lvm.lvcreate(vg, "root", 3);
      lvm.run("lvextend", "-q", "-l", "+2", vg + "/root");
    }
    // LVM 2.03 no longer lets a copy wrap; older versions did, and their disks are still about.
    LvmTool.rewriteMetadata(disk, P2, true, t -> t);
    assertTrue(wrapped(disk), "the metadata text does not wrap");
    try (RawFileDevice d = RawFileDevice.open(disk)) {
      VolumeGroup g = Lvm.scan(List.of(new Lvm.Device(d.slice(P2, P2_SIZE), "p2"))).get(0);
      assertEquals(5 * MIB, g.logicalVolume("root").size());
    }
  }

  @Test
  void volumesThatAreNotLinearAreRefusedByName() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("disk.img"), 64 * MIB, GPT);
    try (LvmTool lvm = LvmTool.attach(disk, P2, P2_SIZE, P3, P3_SIZE)) {
      lvm.run("pvcreate", "-q", lvm.loop(0), lvm.loop(1));
      lvm.run("vgcreate", "-q", "-s", "1M", vg, lvm.loop(0), lvm.loop(1));
      lvm.lvcreate(vg, "root", 4);
      lvm.lvcreate(vg, "striped", 4, "-i", "2", "-I", "64k");
      lvm.lvcreate(vg, "cow", 2);
      // A classic snapshot of root whose exception store is cow, restored by LVM itself.
      Path backup = dir.resolve("vg.txt");
      lvm.run("vgcfgbackup", "-q", "-f", backup.toString(), vg);
      Files.writeString(backup, withVolumes(Files.readString(backup), section("snapshot0",
          "[\"READ\"]", "type = \"snapshot\"\nchunk_size = 8\norigin = \"root\"\n"
              + "cow_store = \"cow\"")));
      lvm.run("vgcfgrestore", "-q", "-f", backup.toString(), vg);
    }
    // LVM will not write thin, RAID or mirror volumes without device-mapper: write them as it would.
    LvmTool.rewriteMetadata(disk, P2, false, t -> withVolumes(t,
        section("pool", "[\"READ\", \"WRITE\", \"VISIBLE\"]", "type = \"thin-pool\"\n"
            + "metadata = \"pool_tmeta\"\npool = \"pool_tdata\"\ntransaction_id = 1\n"
            + "chunk_size = 128")
        + section("thin", "[\"READ\", \"WRITE\", \"VISIBLE\"]", "type = \"thin\"\n"
            + "thin_pool = \"pool\"\ntransaction_id = 0\ndevice_id = 1")
        + section("r1", "[\"READ\", \"WRITE\", \"VISIBLE\"]", "type = \"raid1\"\n"
            + "device_count = 2\nregion_size = 1024\nraids = [\"r1_rmeta_0\", \"r1_rimage_0\","
            + " \"r1_rmeta_1\", \"r1_rimage_1\"]")
        + section("m1", "[\"READ\", \"WRITE\", \"VISIBLE\"]", "type = \"mirror\"\n"
            + "mirror_count = 2\nmirrors = [\"m1_mimage_0\", 0, \"m1_mimage_1\", 0]")));

    try (RawFileDevice d = RawFileDevice.open(disk)) {
      VolumeGroup g = Lvm.scan(List.of(new Lvm.Device(d.slice(P2, P2_SIZE), "p2"),
          new Lvm.Device(d.slice(P3, P3_SIZE), "p3"))).get(0);
      assertRefused(g, "cow", "a snapshot of " + vg + "/root");
      assertRefused(g, "snapshot0", "a snapshot of " + vg + "/root");
      assertRefused(g, "striped", "striped over 2 physical volumes");
      assertRefused(g, "pool", "a thin pool");
      assertRefused(g, "thin", "a thin volume in pool " + vg + "/pool");
      assertRefused(g, "r1", "a RAID volume (raid1)");
      assertRefused(g, "m1", "a mirror");
      assertEquals(4 * MIB, g.logicalVolume("root").open().size()); // the origin reads as it is
    }
  }

  @Test
  void damageIsNamed() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("disk.img"), 64 * MIB, GPT);
    String uuid;
    try (LvmTool lvm = LvmTool.attach(disk, P2, P2_SIZE, P3, P3_SIZE)) {
      lvm.run("pvcreate", "-q", lvm.loop(0), lvm.loop(1));
      lvm.run("vgcreate", "-q", "-s", "1M", vg, lvm.loop(0), lvm.loop(1));
      lvm.lvcreate(vg, "home", 4, lvm.loop(0));
      lvm.lvcreate(vg, "far", 2, lvm.loop(1));
      uuid = lvm.run("pvs", "--noheadings", "-o", "pv_uuid", lvm.loop(1)).strip()
          .replace("-", "");
    }
    Path copy = Files.copy(disk, dir.resolve("copy.img"));
    try (RawFileDevice d = RawFileDevice.open(disk)) {
      // Partition 3 is not scanned: the volume on it is missing a PV.
      VolumeGroup g = Lvm.scan(List.of(new Lvm.Device(d.slice(P2, P2_SIZE), "p2"))).get(0);
      LvmException e = assertThrows(LvmException.class, () -> g.logicalVolume("far").open());
      assertEquals(vg + "/far segment 1 (extents 0..1) is on pv1 (PV UUID " + uuid + "), which"
          + " is not on this disk", e.getMessage());
    }

    LvmTool.rewriteMetadata(disk, P2, false, t -> t.replaceFirst("(home \\{[^}]*\"pv0\", )0", "$1200"));
    try (RawFileDevice d = RawFileDevice.open(disk)) {
      VolumeGroup g = Lvm.scan(List.of(new Lvm.Device(d.slice(P2, P2_SIZE), "p2"))).get(0);
      LvmException e = assertThrows(LvmException.class, () -> g.logicalVolume("home").open());
      assertEquals(vg + "/home segment 1 (extents 0..3) maps to extents 200..203 of pv0, which"
          + " has only 23 extents", e.getMessage());
    }

    long area = metadataArea(copy);
    Sfdisk.patch(copy, area + textOffset(copy, area) + 40, (byte) '#'); // inside the text
    assertScanFails(copy, "p2: metadata area at byte 4096: metadata text CRC");
    Sfdisk.patch(copy, P2 + 512 + 40, (byte) 'X'); // the PV UUID in the label sector
    assertScanFails(copy, "p2: LVM2 label in sector 1: CRC");
  }

  /** {@code text} with {@code sections} added at the start of its logical_volumes. */
  private static String withVolumes(String text, String sections) {
    int at = text.indexOf("logical_volumes {\n") + "logical_volumes {\n".length();
    return text.substring(0, at) + sections + text.substring(at);
  }

  /** An LV section with one segment of one extent, in the text's layout. */
  private static String section(String name, String status, String segment) {
    return "\n\t\t" + name + " {\n\t\t\tid = \"aaaaaa-bbbb-cccc-dddd-eeee-ffff-" + name.length()
        + "ggggg\"\n\t\t\tstatus = " + status + "\n\t\t\tflags = []\n\t\t\tsegment_count = 1\n\n"
        + "\t\t\tsegment1 {\n\t\t\t\tstart_extent = 0\n\t\t\t\textent_count = 1\n\n\t\t\t\t"
        + segment.replace("\n", "\n\t\t\t\t") + "\n\t\t\t}\n\t\t}\n";
  }

  private static void assertRefused(VolumeGroup g, String lv, String what) {
    assertEquals(what, g.logicalVolume(lv).unsupported(), lv);
    LvmException e = assertThrows(LvmException.class, () -> g.logicalVolume(lv).open());
    assertEquals(g.name() + "/" + lv + " is " + what + "; only linear logical volumes are read",
        e.getMessage());
  }

  private static void assertScanFails(Path disk, String start) throws IOException {
    try (RawFileDevice d = RawFileDevice.open(disk)) {
      LvmException e = assertThrows(LvmException.class,
          () -> Lvm.scan(List.of(new Lvm.Device(d.slice(P2, P2_SIZE), "p2"))));
      assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }
  }

  private void makeFs(Path image, int mib, String label) throws IOException {
    Path src = Files.createDirectories(dir.resolve(label + "-src/data"));
    byte[] random = new byte[300_000];
    new Random(label.hashCode()).nextBytes(random);
    Files.write(src.resolve("random.bin"), random);
    Files.writeString(src.getParent().resolve("hello.txt"), "hello from " + label + "\n");
    E2fs.mkfs(image, "ext4", mib + "M", src.getParent(), "-L", label);
  }

  private static void assertSameBytes(Path expected, BlockDevice actual) throws IOException {
    byte[] want = Files.readAllBytes(expected);
    assertEquals(want.length, actual.size());
    ByteBuffer got = ByteBuffer.allocate(want.length);
    actual.read(got, 0);
    assertArrayEquals(want, got.array());
  }

  /** Byte offset of the first metadata area of the PV on partition 2 (after LVM's label). */
  private static long metadataArea(Path disk) throws IOException {
    ByteBuffer label = read(disk, P2 + 512, 512);
    return P2 + label.getLong(32 + 40 + 32); // after one data area and its end marker
  }

  private static long textOffset(Path disk, long area) throws IOException {
    return read(disk, area, 512).getLong(40);
  }

  /** Whether the current metadata text of partition 2's PV runs past the end of its area. */
  private static boolean wrapped(Path disk) throws IOException {
    long area = metadataArea(disk);
    ByteBuffer h = read(disk, area, 512);
    return h.getLong(40) + h.getLong(48) > h.getLong(32);
  }

  private static ByteBuffer read(Path disk, long offset, int length) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "r")) {
      byte[] b = new byte[length];
      f.seek(offset);
      f.readFully(b);
      return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }
  }

}
