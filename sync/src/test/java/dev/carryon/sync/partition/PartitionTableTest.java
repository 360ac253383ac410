package dev.carryon.sync.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.sync.ext4.E2fs;
import dev.carryon.sync.ext4.RawFileDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Partition tables written by sfdisk, read back and compared with what sfdisk reads. */
class PartitionTableTest {
  private static final long MIB = 1 << 20;
  /** A GPT with named partitions of three types and a gap before the last. */
  private static final String GPT = "label: gpt\n"
      + "size=4MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp\n"
      + "size=12MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root\n"
      + "start=20MiB, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n";
  /** An MBR with a primary and four logical partitions in an extended one (sectors 10240..). */
  private static final String MBR = "label: dos\n"
      + "size=4MiB, type=83\n"
      + "type=5\n"
      + "size=4MiB, type=83\n"
      + "size=4MiB, type=82\n"
      + "size=4MiB, type=8e\n"
      + "size=4MiB, type=83\n";

  @TempDir Path dir;

  @Test
  void readsAGptAsSfdiskDoes() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("gpt.img"), 32 * MIB, GPT);
    PartitionTable t = read(disk);
    assertEquals(PartitionTable.Scheme.GPT, t.scheme());
    assertEquals(asSfdisk(Sfdisk.entries(disk)), asSfdisk(t.partitions()));
    assertEquals(List.of("EFI System", "Linux filesystem", "Linux LVM"),
        t.partitions().stream().map(Partition::typeName).toList());
    assertEquals(List.of("esp", "root", ""),
        t.partitions().stream().map(Partition::label).toList());
    assertEquals(List.of(), t.warnings());
  }

  @Test
  void readsAnMbrWithLogicalPartitionsAsSfdiskDoes() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("mbr.img"), 32 * MIB, MBR);
    PartitionTable t = read(disk);
    assertEquals(PartitionTable.Scheme.MBR, t.scheme());
    List<Sfdisk.Entry> expected = new ArrayList<>();
    for (Sfdisk.Entry e : Sfdisk.entries(disk)) {
      if (!e.type().equals("5")) { // the extended partition holds the others; it is no volume
        expected.add(e);
      }
    }
    assertEquals(List.of(1, 5, 6, 7, 8), expected.stream().map(Sfdisk.Entry::number).toList());
    assertEquals(asSfdisk(expected), asSfdisk(t.partitions()));
    assertEquals("Linux swap", t.partitions().get(2).typeName());
    String id = E2fs.run(List.of("sfdisk", "--disk-id", disk.toString())).trim().substring(2);
    assertEquals(id + "-06", t.partitions().get(2).uuid());
  }

  @Test
  void aWholeDiskFileSystemHasNoTable() throws IOException {
    Path disk = dir.resolve("fs.img");
    E2fs.mkfs(disk, "ext4", "8M", null);
    assertEquals(PartitionTable.Scheme.NONE, read(disk).scheme());
    // A boot sector with the signature but no plausible status bytes is not a table either.
    Sfdisk.patch(disk, 446, (byte) 0x12);
    Sfdisk.patch(disk, 510, (byte) 0x55, (byte) 0xAA);
    assertEquals(PartitionTable.Scheme.NONE, read(disk).scheme());
  }

  @Test
  void aDamagedPrimaryHeaderIsReadFromTheBackup() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("gpt.img"), 32 * MIB, GPT);
    List<String> expected = asSfdisk(Sfdisk.entries(disk));
    Sfdisk.patch(disk, 512 + 48, (byte) 0x7F); // last usable LBA: the header CRC no longer holds
    PartitionTable t = read(disk);
    assertEquals(expected, asSfdisk(t.partitions()));
    assertEquals(1, t.warnings().size());
    assertTrue(t.warnings().get(0).contains("header at LBA 1: header CRC"), t.warnings().get(0));
    assertTrue(t.warnings().get(0).contains("read the backup at LBA " + (Sfdisk.sectors(disk) - 1)),
        t.warnings().get(0));
  }

  @Test
  void aDamagedPrimaryEntryArrayIsReadFromTheBackup() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("gpt.img"), 32 * MIB, GPT);
    List<String> expected = asSfdisk(Sfdisk.entries(disk));
    Sfdisk.patch(disk, 2 * 512 + 128 + 32, (byte) 0x01); // partition 2's first LBA
    PartitionTable t = read(disk);
    assertEquals(expected, asSfdisk(t.partitions()));
    assertTrue(t.warnings().get(0).contains("entry array at LBA 2: CRC"), t.warnings().get(0));
  }

  @Test
  void aWipedPrimaryIsReadFromTheBackup() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("gpt.img"), 32 * MIB, GPT);
    List<String> expected = asSfdisk(Sfdisk.entries(disk));
    Sfdisk.patch(disk, 512, new byte[512]);
    PartitionTable t = read(disk);
    assertEquals(expected, asSfdisk(t.partitions()));
    assertTrue(t.warnings().get(0).contains("no \"EFI PART\" signature"), t.warnings().get(0));
  }

  @Test
  void bothCopiesDamagedIsAnErrorNamingBoth() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("gpt.img"), 32 * MIB, GPT);
    Sfdisk.patch(disk, 512 + 48, (byte) 0x7F);
    Sfdisk.patch(disk, (Sfdisk.sectors(disk) - 1) * 512 + 40, (byte) 0x7F);
    PartitionException e = assertThrows(PartitionException.class, () -> read(disk));
    assertTrue(e.getMessage().startsWith(disk + ": GPT: the primary is damaged (header at LBA 1:"
        + " header CRC"), e.getMessage());
    assertTrue(e.getMessage().contains("and so is the backup (header at LBA "
        + (Sfdisk.sectors(disk) - 1) + ": header CRC"), e.getMessage());
  }

  @Test
  void aGptPartitionPastTheDiskEndIsRefused() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("gpt.img"), 32 * MIB, GPT);
    long sectors = Sfdisk.sectors(disk);
    Sfdisk.setGptEntry(disk, 3, 20 * 2048, sectors + 100);
    assertRefused(disk, disk + ": GPT: partition 3 (sectors 40960.." + (sectors + 100)
        + ") runs past the end of the disk (" + sectors + " sectors)");
  }

  @Test
  void aGptPartitionOutsideTheUsableAreaIsRefused() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("gpt.img"), 32 * MIB, GPT);
    Sfdisk.setGptEntry(disk, 1, 1, 2047); // over the header and the entry array
    assertRefused(disk, disk + ": GPT: partition 1 (sectors 1..2047) lies outside the usable"
        + " area (sectors 2048.." + (Sfdisk.sectors(disk) - 34) + ")");
  }

  @Test
  void overlappingGptPartitionsAreRefused() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("gpt.img"), 32 * MIB, GPT);
    Sfdisk.setGptEntry(disk, 3, 29000, 40000); // into partition 2 (sectors 10240..34815)
    assertRefused(disk, disk + ": partitions 2 (sectors 10240..34815) and 3 (sectors"
        + " 29000..40000) overlap");
  }

  @Test
  void anMbrPartitionPastTheDiskEndIsRefused() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("mbr.img"), 32 * MIB, MBR);
    Sfdisk.patchU32(disk, 446 + 12, 70000); // partition 1: 70000 sectors from 2048
    assertRefused(disk, disk + ": MBR partition table: partition 1 (sectors 2048..72047) runs"
        + " past the end of the disk (65536 sectors)");
  }

  @Test
  void overlappingMbrPartitionsAreRefused() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("mbr.img"), 32 * MIB, MBR);
    Sfdisk.patchU32(disk, 446 + 12, 9000); // partition 1 into the extended partition 2
    assertRefused(disk, disk + ": partitions 1 (sectors 2048..11047) and 2 (sectors"
        + " 10240..65535) overlap");
  }

  @Test
  void aLogicalPartitionOutsideItsExtendedOneIsRefused() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("mbr.img"), 32 * MIB, MBR);
    long ebr = 10240; // the first EBR, at the start of extended partition 2
    Sfdisk.patchU32(disk, ebr * 512 + 446 + 12, 60000);
    assertRefused(disk, disk + ": MBR partition table: logical partition 5 (sectors"
        + " 12288..72287) lies outside extended partition 2 (sectors 10240..65535)");
  }

  @Test
  void aLoopingChainOfBootRecordsIsRefused() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("mbr.img"), 32 * MIB, MBR);
    List<Sfdisk.Entry> entries = Sfdisk.entries(disk);
    long extended = 10240;
    long second = entries.get(3).start() - 2048; // EBR of logical 6, before its partition
    Sfdisk.patchU32(disk, second * 512 + 446 + 16 + 8, 0); // its "next" points at the first
    assertRefused(disk, disk + ": MBR partition table: the chain of extended boot records loops"
        + " back to sector " + extended);
  }

  @Test
  void aBootRecordWithoutSignatureIsRefused() throws IOException {
    Path disk = Sfdisk.create(dir.resolve("mbr.img"), 32 * MIB, MBR);
    long second = Sfdisk.entries(disk).get(3).start() - 2048;
    Sfdisk.patch(disk, second * 512 + 510, (byte) 0, (byte) 0);
    assertRefused(disk, disk + ": MBR partition table: the extended boot record at sector "
        + second + " has no boot signature (0x0000, expected 0xaa55)");
  }

  private static PartitionTable read(Path disk) throws IOException {
    try (RawFileDevice d = RawFileDevice.open(disk)) {
      return PartitionTable.read(d, disk.toString());
    }
  }

  private static void assertRefused(Path disk, String message) {
    PartitionException e = assertThrows(PartitionException.class, () -> read(disk));
    assertEquals(message, e.getMessage());
  }

  /** Partitions as "number start size type uuid name" lines in sectors, as sfdisk gives them. */
  private static List<String> asSfdisk(List<?> partitions) {
    List<String> lines = new ArrayList<>();
    for (Object o : partitions) {
      if (o instanceof Partition p) {
        boolean mbr = p.type().startsWith("0x");
        String type = mbr ? Integer.toHexString(Integer.parseInt(p.type().substring(2), 16))
            : p.type();
        lines.add(p.number() + " " + p.start() / 512 + " " + p.size() / 512 + " " + type + " "
            + (mbr ? "" : p.uuid()) + " " + p.label());
      } else {
        Sfdisk.Entry e = (Sfdisk.Entry) o;
        lines.add(e.number() + " " + e.start() + " " + e.size() + " "
            + (e.type().length() <= 2 ? e.type().toLowerCase(Locale.ROOT) : e.type())
            + " " + e.uuid() + " " + e.name());
      }
    }
    return lines;
  }
}
