package dev.carryon.sync.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.sync.ext4.E2fs;
import dev.carryon.sync.ext4.SourceTree;
import dev.carryon.sync.guestfs.Guestfish;
import dev.carryon.sync.host.Disks;
import dev.carryon.sync.partition.Sfdisk;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An XFS file system, which carryon reads through libguestfs: exported from a carrier whose GPT
 * disk holds it in partition 1, and compared with what guestfish itself copies out of the same
 * disk. Each appliance start takes 10-60 s here, so this is the one test that starts two.
 */
class GuestfsExportTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void xfsIsExportedThroughLibguestfsAsGuestfishReadsIt() throws Exception {
    assertNotNull(Guestfish.find(), "guestfish (libguestfs-tools) is not installed");
    Path source = Files.createDirectory(dir.resolve("source"));
    SourceTree.create(source);
    Files.delete(source.resolve("fifo")); // tar-out keeps FIFOs; the export skips them
    Path xfs = dir.resolve("xfs.img");
    try (RandomAccessFile f = new RandomAccessFile(xfs.toFile(), "rw")) {
      f.setLength(320 * MIB); // mkfs.xfs 6.1 makes nothing smaller than 300 MiB
    }
    E2fs.run(List.of("mkfs.xfs", "-q", "-L", "guestdata", xfs.toString()));
    KernelEdits.edit(xfs, "xfs", "cp -a \"" + source + "/.\" .");

    Path raw = Sfdisk.create(dir.resolve("disk.raw"), 340 * MIB, "label: gpt\n"
        + "start=1MiB, size=320MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n");
    try (FileChannel in = FileChannel.open(xfs);
        FileChannel out = FileChannel.open(raw, StandardOpenOption.WRITE)) {
      for (long done = 0; done < in.size(); ) {
        done += in.transferTo(done, in.size() - done, out.position(MIB + done));
      }
    }
    Files.delete(xfs);
    Path qcow2 = dir.resolve("disk.qcow2");
    Disks.run(0, "qemu-img", "convert", "-O", "qcow2", raw.toString(), qcow2.toString());
    Path carrier = Disks.carrier(dir.resolve("carrier"), qcow2, 2);

    Path out = dir.resolve("out");
    ExportSummary s;
    try (CarrierDisk d = CarrierDisk.open(carrier);
        GuestSource src = GuestSource.open(d.device(), d.name(), "/data",
            GuestSource.Selection.DEFAULT)) {
      assertEquals("libguestfs", src.readerName());
      assertEquals("partition 1 (Linux filesystem): XFS 'guestdata'",
          src.choice().volume().describe());
      s = Exporter.toFolder(src, out, false, ExportProgress.NONE);
    }
    assertEquals(4, s.files());

    Path oracle = Files.createDirectory(dir.resolve("oracle"));
    guestfish(raw, "copy-out", "/data", oracle.toString());
    HostTrees.assertSame(oracle, out);
    assertTrue(Files.size(out.resolve("data/random-1m")) == 1 << 20);
  }

  /** Runs one guestfish command on partition 1 of {@code disk}, read-only. */
  private static void guestfish(Path disk, String... command) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("guestfish", "--ro", "-a",
        disk.toString(), "-m", "/dev/sda1"));
    cmd.addAll(List.of(command));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("LIBGUESTFS_BACKEND", "direct");
    pb.environment().put("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg");
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), "guestfish timed out");
    assertEquals(0, p.exitValue(), "guestfish " + command[0] + ": " + output);
  }
}
