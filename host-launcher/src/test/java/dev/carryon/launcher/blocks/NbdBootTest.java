package dev.carryon.launcher.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierInit;
import dev.carryon.carrier.ChunkList;
import dev.carryon.carrier.HostIdentity;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.VmConfig;
import dev.carryon.cow.Qcow2Creator;
import dev.carryon.launcher.qemu.AccelProbe;
import dev.carryon.launcher.qemu.DiskFormat;
import dev.carryon.launcher.qemu.QemuLaunch;
import dev.carryon.launcher.qemu.QemuProcess;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.sync.guestfs.NbdServer;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.TestGuest;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real test guest boots and runs with its carrier chain read through the block server: QEMU's
 * {@code nbd} nodes under the chain's qcow2 nodes, as carryon's command line gives them, a local
 * COW on top. The guest reads its disk (its boot counter lives there), and only the chunks it
 * reads come from the carrier.
 */
class NbdBootTest {
  private static final Duration BOOT = Duration.ofSeconds(90);
  private static final HostIdentity HOME = new HostIdentity("host-home-1", "home-pc");

  @TempDir Path dir;

  @Test
  void theGuestRunsOnChunksReadThroughTheServer() throws Exception {
    TestGuest guest = TestGuest.get();
    VmConfig vm =
        new VmConfig(
            TestGuest.MACHINE, TestGuest.CPU, TestGuest.MEMORY_MIB, 1, "virtio-blk",
            guest.kernel().toString(), guest.initrd().toString(), guest.append(), List.of());
    Path folder = dir.resolve("carrier");
    // The carrier holds the disk only; the launch boots the guest's kernel from the host.
    VmConfig diskOnly =
        new VmConfig(
            TestGuest.MACHINE, TestGuest.CPU, TestGuest.MEMORY_MIB, 1, "virtio-blk", null, null,
            guest.append(), List.of());
    CarrierInit init =
        new CarrierInit(diskOnly, guest.disk(), null, null, null, null, HOME, "s1", "init", 3);
    try (Carrier c = Carrier.create(SessionKit.storage(folder), init, Progress.NONE)) {
      assertEquals(List.of("base.qcow2", "cow.qcow2"), c.current().chain());
    }
    AtomicLong fetched = new AtomicLong();
    List<String> problems = new ArrayList<>();
    try (Carrier c = SessionKit.open(folder)) {
      ImageReader counting =
          (image, offset, dst) -> {
            int n = c.readImage(image, offset, dst);
            fetched.addAndGet(Math.max(n, 0));
            return n;
          };
      ChunkStore store = ChunkStore.in(dir.resolve("chunks"));
      List<VerifiedImage> images = new ArrayList<>();
      long chainBytes = 0;
      for (String image : c.current().chain()) {
        ChunkList list = c.chunkList(image);
        chainBytes += list.imageSize();
        images.add(new VerifiedImage(image, c.describe(image), list, counting, store, problems::add));
      }
      Path sock = dir.resolve("blocks.sock");
      Path local = dir.resolve("local.qcow2");
      Qcow2Creator.create(local, -1, SessionKit.file(c, "cow.qcow2").toString(), "qcow2");
      try (NbdServer server = NbdServer.start(VerifiedImage.exports(images), sock);
          QemuProcess qemu =
              QemuProcess.start(
                  QemuLaunch.of(vm, dir)
                      .withDisk(
                          local,
                          DiskFormat.QCOW2,
                          List.of(
                              QemuLaunch.Image.nbd(sock, "cow.qcow2", DiskFormat.QCOW2),
                              QemuLaunch.Image.nbd(sock, "base.qcow2", DiskFormat.QCOW2)))
                      .withAccel(AccelProbe.choose().accel())
                      .withConsole(dir.resolve("console.log")))) {
        ConsoleLog console = new ConsoleLog(dir.resolve("console.log"));
        console.waitFor(ConsoleLog.BOOT, BOOT);
        console.waitFor(Pattern.compile("TICK 2 "), BOOT);
        assertEquals(1, console.bootMarker().orElseThrow().boot());
        assertTrue(qemu.isAlive());
      }
      System.err.printf(
          "NbdBootTest: the guest booted reading %d of the chain's %d bytes from the carrier%n",
          fetched.get(), chainBytes);
      assertTrue(fetched.get() > 0, "the guest read its disk through the server");
      // Each chunk crosses from the carrier once at most: later reads come from the host.
      assertTrue(fetched.get() <= chainBytes, fetched + " bytes read of " + chainBytes);
    }
    assertEquals(List.of(), problems);
  }
}
