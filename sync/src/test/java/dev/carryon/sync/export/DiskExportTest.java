package dev.carryon.sync.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.sync.disk.VolumeException;
import dev.carryon.sync.ext4.E2fs;
import dev.carryon.sync.host.Disks;
import dev.carryon.sync.lvm.LvmTool;
import dev.carryon.sync.partition.Sfdisk;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exports from carriers whose disks are laid out as installers lay them out: GPT and MBR with the
 * root file system in partition 2, a separate /home found through the root's /etc/fstab, ext4 on
 * LVM, and a GPT whose primary header is damaged. Each export is compared with what debugfs
 * rdump reads from the same file system (at its offset in the disk image).
 */
class DiskExportTest {
  private static final long MIB = 1 << 20;
  private static final String ROOT_UUID = "6a1c0a52-58a0-4e0d-9d6b-5f1f2b0c9a11";

  @TempDir Path dir;

  @Test
  void gptWithRootInPartitionTwoAndHomeFromFstab() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("gpt.img"), 64 * MIB, "label: gpt\n"
        + "start=1MiB, size=7MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp,"
        + " uuid=0B5F8E2C-1D2A-4C3B-9E4F-5A6B7C8D9E01\n"
        + "start=8MiB, size=24MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root\n"
        + "start=32MiB, size=31MiB, type=933AC7E1-2EB4-4F13-B844-0E14E2AEF915, name=home\n");
    mkfs(disk, 1 * MIB, "7M", tree("boot", "grub/grub.cfg"), "-L", "boot");
    mkfs(disk, 8 * MIB, "24M", root("UUID=" + ROOT_UUID + " / ext4 defaults 0 1\n"
        + "LABEL=home /home ext4 defaults 0 2\n"
        + "PARTUUID=0b5f8e2c-1d2a-4c3b-9e4f-5a6b7c8d9e01 /boot ext4 defaults 0 2\n"
        + "proc /proc proc defaults 0 0\n"), "-L", "root", "-U", ROOT_UUID);
    mkfs(disk, 32 * MIB, "31M", tree("home", "me/docs/notes.txt", "me/docs/deep/a.bin",
        "me/.profile"), "-L", "home");
    Path carrier = Disks.carrier(dir.resolve("carrier"), disk, 2);

    assertExport(carrier, "/etc", null, null, disk, 8 * MIB, "/etc",
        "partition 2 'root' (Linux filesystem): ext2/3/4 'root'",
        "the root file system (it has /etc/fstab)");
    assertExport(carrier, "/home/me/docs", null, null, disk, 32 * MIB, "/me/docs",
        "partition 3 'home' (Linux home): ext2/3/4 'home'",
        "mounted at /home by the /etc/fstab of partition 2 (LABEL=home)");
    assertExport(carrier, "/boot/grub", null, null, disk, 1 * MIB, "/grub",
        "partition 1 'esp' (EFI System): ext2/3/4 'boot'", "mounted at /boot by the /etc/fstab of"
            + " partition 2 (PARTUUID=0b5f8e2c-1d2a-4c3b-9e4f-5a6b7c8d9e01)");
    assertExport(carrier, "/me", "home", null, disk, 32 * MIB, "/me",
        "partition 3 'home' (Linux home): ext2/3/4 'home'", "chosen with --partition home");
    assertExport(carrier, "/grub", "EFI System", null, disk, 1 * MIB, "/grub",
        "partition 1 'esp' (EFI System): ext2/3/4 'boot'", "chosen with --partition EFI System");

    VolumeException e = assertThrows(VolumeException.class,
        () -> export(carrier, "/etc", "7", null, dir.resolve("x")));
    assertEquals(carrier + " (generation 1) has no partition numbered, named or typed '7'. It"
        + " holds: partition 1 'esp' (EFI System): ext2/3/4 'boot'; partition 2 'root' (Linux"
        + " filesystem): ext2/3/4 'root'; partition 3 'home' (Linux home): ext2/3/4 'home'",
        e.getMessage());
  }

  @Test
  void mbrWithRootInPartitionTwoAndALogicalPartition() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("mbr.img"), 64 * MIB, "label: dos\n"
        + "start=1MiB, size=4MiB, type=82\n"
        + "start=5MiB, size=24MiB, type=83\n"
        + "start=29MiB, type=5\n"
        + "size=20MiB, type=83\n");
    Path swap = dir.resolve("swap.img");
    Files.write(swap, new byte[4 << 20]);
    E2fs.run(List.of("mkswap", "-L", "swap", swap.toString()));
    place(disk, 1 * MIB, swap);
    mkfs(disk, 5 * MIB, "24M", root("LABEL=root / ext4 defaults 0 1\n"
        + "/dev/vda1 none swap sw 0 0\n"), "-L", "root");
    long logical = Sfdisk.entries(disk).get(3).start() * 512;
    mkfs(disk, logical, "20M", tree("data", "music/a.ogg", "music/b.ogg"), "-L", "data");
    Path carrier = Disks.carrier(dir.resolve("carrier"), disk, 2);

    assertExport(carrier, "/etc", null, null, disk, 5 * MIB, "/etc",
        "partition 2 (Linux): ext2/3/4 'root'", "the root file system (it has /etc/fstab)");
    assertExport(carrier, "/music", "5", null, disk, logical, "/music",
        "partition 5 (Linux): ext2/3/4 'data'", "chosen with --partition 5");
    VolumeException e = assertThrows(VolumeException.class,
        () -> export(carrier, "/", "1", null, dir.resolve("x")));
    assertEquals(carrier + " (generation 1) partition 1 holds swap, not a file system. It holds:"
        + " partition 1 (Linux swap): swap 'swap'; partition 2 (Linux): ext2/3/4 'root';"
        + " partition 5 (Linux): ext2/3/4 'data'", e.getMessage());
  }

  @Test
  void ext4OnLogicalVolumes() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("lvm.img"), 64 * MIB, "label: gpt\n"
        + "start=1MiB, size=7MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n"
        + "start=8MiB, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n");
    mkfs(disk, 1 * MIB, "7M", tree("boot", "vmlinuz"), "-L", "boot");
    String vg = "carryon" + Long.toHexString(new Random().nextLong() & 0xFFFFFFL);
    Path rootFs = dir.resolve("root.img");
    Path homeFs = dir.resolve("home.img");
    E2fs.mkfs(rootFs, "ext4", "20M", root("/dev/mapper/" + vg + "-root / ext4 defaults 0 1\n"
        + "/dev/" + vg + "/home /home ext4 defaults 0 2\n"), "-L", "root");
    E2fs.mkfs(homeFs, "ext4", "12M", tree("home", "me/photo.jpg", "me/docs/cv.txt"), "-L",
        "home");
    try (LvmTool lvm = LvmTool.attach(disk, 8 * MIB, Files.size(disk) - 8 * MIB - 34 * 512)) {
      lvm.run("pvcreate", "-q", lvm.loop(0));
      lvm.run("vgcreate", "-q", "-s", "1M", vg, lvm.loop(0));
      lvm.lvcreate(vg, "root", 12);
      lvm.lvcreate(vg, "home", 12);
      lvm.run("lvextend", "-q", "-l", "+8", vg + "/root");
      lvm.writeVolume(vg + "/root", rootFs);
      lvm.writeVolume(vg + "/home", homeFs);
    }
    Path carrier = Disks.carrier(dir.resolve("carrier"), disk, 2);

    assertExport(carrier, "/etc", null, null, rootFs, 0, "/etc", "LV " + vg + "/root: ext2/3/4"
        + " 'root'", "the root file system (it has /etc/fstab)");
    assertExport(carrier, "/home/me", null, null, homeFs, 0, "/me", "LV " + vg + "/home:"
        + " ext2/3/4 'home'", "mounted at /home by the /etc/fstab of LV " + vg + "/root (/dev/"
        + vg + "/home)");
    assertExport(carrier, "/me/docs", null, vg + "/home", homeFs, 0, "/me/docs", "LV " + vg
        + "/home: ext2/3/4 'home'", "chosen with --lv " + vg + "/home");
    VolumeException e = assertThrows(VolumeException.class,
        () -> export(carrier, "/", "2", null, dir.resolve("x")));
    assertEquals(carrier + " (generation 1): partition 2 is an LVM2 physical volume; name one of"
        + " the logical volumes with --lv " + vg + "/root, " + vg + "/home", e.getMessage());
  }

  @Test
  void damagedLvmMetadataLeavesTheOtherPartitionsReadable() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("lvm.img"), 32 * MIB, "label: gpt\n"
        + "start=1MiB, size=15MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n"
        + "start=16MiB, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n");
    mkfs(disk, 1 * MIB, "15M", root("LABEL=root / ext4 defaults 0 1\n"), "-L", "root");
    String vg = "carryon" + Long.toHexString(new Random().nextLong() & 0xFFFFFFL);
    try (LvmTool lvm = LvmTool.attach(disk, 16 * MIB, 15 * MIB)) {
      lvm.run("pvcreate", "-q", lvm.loop(0));
      lvm.run("vgcreate", "-q", "-s", "1M", vg, lvm.loop(0));
      lvm.lvcreate(vg, "data", 4);
    }
    Sfdisk.patch(disk, 16 * MIB + 4096 + 4, (byte) 'X'); // the metadata area header's magic
    Path carrier = Disks.carrier(dir.resolve("carrier"), disk, 2);
    assertExport(carrier, "/etc", null, null, disk, 1 * MIB, "/etc",
        "partition 1 (Linux filesystem): ext2/3/4 'root'", "the only file system on the disk");
    String damage = "LVM metadata unreadable, no logical volume listed: " + carrier
        + " (generation 1), partition 2: metadata area at byte 4096: no metadata area header"
        + " (bad magic)";
    try (CarrierDisk d = CarrierDisk.open(carrier);
        GuestSource src = GuestSource.open(d.device(), d.name(), "/etc",
            GuestSource.Selection.DEFAULT)) {
      assertEquals(List.of(damage), src.warnings());
    }
    VolumeException e = assertThrows(VolumeException.class,
        () -> export(carrier, "/", null, vg + "/data", dir.resolve("x")));
    assertEquals(carrier + " (generation 1) has no logical volume " + vg + "/data. It holds:"
        + " partition 1 (Linux filesystem): ext2/3/4 'root'; partition 2 (Linux LVM): LVM2"
        + " physical volume. " + damage, e.getMessage());
  }

  @Test
  void aGptWithItsPrimaryHeaderDamagedIsReadFromTheBackup() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("gpt.img"), 32 * MIB, "label: gpt\n"
        + "start=1MiB, size=4MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n"
        + "start=5MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n");
    mkfs(disk, 1 * MIB, "4M", tree("boot", "vmlinuz"), "-L", "boot");
    mkfs(disk, 5 * MIB, "26M", root("LABEL=root / ext4 defaults 0 1\n"), "-L", "root");
    Sfdisk.patch(disk, 512 + 8, (byte) 0x7F); // the revision: the header CRC no longer holds
    Path carrier = Disks.carrier(dir.resolve("carrier"), disk, 2);
    try (CarrierDisk d = CarrierDisk.open(carrier);
        GuestSource src = GuestSource.open(d.device(), d.name(), "/etc",
            GuestSource.Selection.DEFAULT)) {
      assertEquals(1, src.warnings().size());
      assertTrue(src.warnings().get(0).startsWith(d.name() + ": the primary GPT is damaged"
          + " (header at LBA 1: header CRC"), src.warnings().get(0));
    }
    assertExport(carrier, "/etc", null, null, disk, 5 * MIB, "/etc",
        "partition 2 (Linux filesystem): ext2/3/4 'root'",
        "the root file system (it has /etc/fstab)");
  }

  /**
   * Exports {@code guestPath} from the carrier and compares it with debugfs' rdump of {@code
   * fsPath} from the file system at {@code offset} of {@code image}.
   */
  private void assertExport(Path carrier, String guestPath, String partition, String lv,
      Path image, long offset, String fsPath, String volume, String reason) throws IOException {
    Path out = Files.createTempDirectory(dir, "out");
    VolumeChoiceSeen seen = export(carrier, guestPath, partition, lv, out);
    assertEquals(volume, seen.volume, guestPath);
    assertEquals(reason, seen.reason, guestPath);
    Path oracle = Files.createTempDirectory(dir, "rdump");
    E2fs.run(List.of("debugfs", "-R", "rdump " + fsPath + " " + oracle, image + "?offset="
        + offset));
    HostTrees.assertSame(oracle, out);
  }

  /** What an export chose. */
  private record VolumeChoiceSeen(String volume, String reason) {}

  private static VolumeChoiceSeen export(Path carrier, String guestPath, String partition,
      String lv, Path out) throws IOException {
    try (CarrierDisk d = CarrierDisk.open(carrier);
        GuestSource src = GuestSource.open(d.device(), d.name(), guestPath,
            new GuestSource.Selection(partition, lv, GuestSource.Reader.AUTO))) {
      Exporter.toFolder(src, out, false, ExportProgress.NONE);
      return new VolumeChoiceSeen(src.choice().volume().describe(), src.choice().reason());
    }
  }

  private static void mkfs(Path disk, long offset, String size, Path source, String... options)
      throws IOException {
    String[] all = Stream.concat(Stream.of("-E", "offset=" + offset), Stream.of(options))
        .toArray(String[]::new);
    E2fs.mkfs(disk, "ext4", size, source, all);
  }

  /** A root file system's tree: /etc with fstab, hostname and a symlink, /usr/bin/tool. */
  private Path root(String fstab) throws IOException {
    Path r = tree("root", "etc/hostname", "usr/bin/tool");
    Files.writeString(r.resolve("etc/fstab"), "# /etc/fstab\n" + fstab);
    Files.createSymbolicLink(r.resolve("etc/localtime"), Path.of("/usr/share/zoneinfo/UTC"));
    Files.createDirectories(r.resolve("home"));
    stamp(r);
    return r;
  }

  /** A folder {@code name} holding the given files, each with some random content. */
  private Path tree(String name, String... files) throws IOException {
    Path r = Files.createDirectories(dir.resolve("src-" + name));
    Random random = new Random(name.hashCode());
    for (String f : files) {
      Path p = r.resolve(f);
      Files.createDirectories(p.getParent());
      byte[] b = new byte[1 + random.nextInt(200_000)];
      random.nextBytes(b);
      Files.write(p, b);
    }
    stamp(r);
    return r;
  }

  /** Whole-second times everywhere: mke2fs -d keeps seconds, and rdump too. */
  private static void stamp(Path r) throws IOException {
    try (Stream<Path> s = Files.walk(r)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        if (!Files.isSymbolicLink(p)) {
          Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2024-05-06T07:08:09Z")));
        }
      }
    }
  }

  private static void place(Path disk, long offset, Path part) throws IOException {
    try (FileChannel in = FileChannel.open(part);
        FileChannel out = FileChannel.open(disk, StandardOpenOption.WRITE)) {
      for (long done = 0; done < in.size(); ) {
        done += in.transferTo(done, in.size() - done, out.position(offset + done));
      }
    }
  }
}
