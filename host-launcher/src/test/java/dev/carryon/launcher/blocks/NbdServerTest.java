package dev.carryon.launcher.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierInit;
import dev.carryon.carrier.ChunkList;
import dev.carryon.carrier.HostIdentity;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.VmConfig;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.sync.guestfs.NbdServer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real QEMU ({@code qemu-storage-daemon} holding the node graph, {@code qemu-img} and {@code
 * qemu-io} reading it) reads a carrier's chain through our NBD server:
 * the qcow2 COW and the raw base each an export, QEMU's {@code nbd} driver under its qcow2 and raw
 * nodes. What it reads is the disk; a chunk corrupted on the carrier after the server started is
 * an I/O error to QEMU and a message naming the file and offset, and nothing is written to the
 * carrier; chunks already on the host are not read from the carrier again.
 */
class NbdServerTest {
  private static final VmConfig VM =
      new VmConfig(
          "pc-q35-7.2", "qemu64", 256, 1, "virtio-blk", null, null, "console=ttyS0", List.of());
  private static final HostIdentity HOME = new HostIdentity("host-home-1", "home-pc");

  /** 2 MiB and a half chunk: 33 chunks of 64 KiB, the last one short. */
  private static final int SIZE = (2 << 20) + (32 << 10);

  @TempDir Path dir;

  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());

  @Test
  void qemuReadsTheChainThroughTheServerAndChunksComeFromTheHostOnceRead() throws Exception {
    byte[] disk = pattern();
    Path folder = carrier(disk);
    ChunkStore store = ChunkStore.in(dir.resolve("chunks"));
    try (Carrier c = SessionKit.open(folder);
        NbdServer server = serve("nbd.sock", images(c, c::readImage, store))) {
      assertArrayEquals(disk, convert(server));
    }
    try (Stream<Path> s = Files.list(dir.resolve("chunks"))) {
      assertTrue(s.count() > 0, "chunks kept on the host");
    }
    // A second serving reads every chunk from the host: a carrier that cannot be read is no matter.
    try (Carrier c = SessionKit.open(folder);
        NbdServer server =
            serve(
                "nbd2.sock",
                images(
                    c,
                    (image, offset, dst) -> {
                      throw new IOException("carrier unplugged");
                    },
                    store))) {
      assertArrayEquals(disk, convert(server));
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void aChunkCorruptedOnTheCarrierIsAnIoErrorAndAMessageNeverTheBytes() throws Exception {
    byte[] disk = pattern();
    Path folder = carrier(disk);
    ChunkStore store = ChunkStore.in(dir.resolve("chunks"));
    try (Carrier c = SessionKit.open(folder);
        NbdServer server = serve("nbd.sock", images(c, c::readImage, store))) {
      Path base = SessionKit.file(c, "base.raw");
      long bad = 5 * ChunkList.CHUNK_SIZE;
      try (RandomAccessFile f = new RandomAccessFile(base.toFile(), "rw")) {
        f.seek(bad + 10);
        f.write(disk[(int) bad + 10] ^ 0x55);
      }
      Map<Path, String> before = snapshot(folder);
      Process qsd = storageDaemon(server);
      try {
        Run good = qemuIo("read -P " + (disk[0] & 0xff) + " 0 512");
        assertEquals(0, good.exit, good.out);
        assertTrue(!good.out.contains("error"), good.out);
        Run read = qemuIo("read " + (bad + 4096) + " 4096");
        assertTrue(read.out.contains("Input/output error"), read.out);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(
            problems.get(0).startsWith(
                base + ": the chunk at offset " + bad + " (65536 bytes) does not match its chunk"
                    + " list"),
            problems.get(0));
        // Again: still an error, never the bytes, nothing kept on the host for it.
        Run again = qemuIo("read " + bad + " 512");
        assertTrue(again.out.contains("Input/output error"), again.out);
        assertTrue(!store.has(c.chunkList("base.raw").hashOf(5)), "the bad chunk kept");
      } finally {
        qsd.destroy();
        qsd.waitFor();
      }
      assertEquals(before, snapshot(folder), "nothing written to the carrier");
    }
  }

  /**
   * The carrier unplugged, unhoarded then hoarded. Unplugging is a stand-in: the carrier's reads
   * fail as a pulled drive's do (moving the folder away would not do: the storage keeps its files
   * open, and a real unplug ends those too).
   */
  @Test
  void aHoardedChainRunsWithTheCarrierUnpluggedAndAnUnhoardedOneFailsOnlyWhatIsMissing()
      throws Exception {
    byte[] disk = pattern();
    Path folder = carrier(disk);
    AtomicBoolean unplugged = new AtomicBoolean();
    try (Carrier c = SessionKit.open(folder)) {
      ImageReader pluggable =
          (image, offset, dst) -> {
            if (unplugged.get()) {
              throw new IOException(c.describe(image) + ": Input/output error (unplugged)");
            }
            return c.readImage(image, offset, dst);
          };
      // Unhoarded: what the guest read is on the host, the rest is an I/O error until replugged.
      try (NbdServer server =
          serve("cold.sock", images(c, pluggable, ChunkStore.in(dir.resolve("cold-chunks"))))) {
        Process qsd = storageDaemon(server);
        try {
          assertEquals(0, qemuIo("read -P " + (disk[0] & 0xff) + " 0 512").exit);
          unplugged.set(true);
          Run cached = qemuIo("read -P " + (disk[0] & 0xff) + " 0 512");
          assertEquals(0, cached.exit, cached.out);
          assertTrue(!cached.out.contains("error"), cached.out);
          long far = 20L * ChunkList.CHUNK_SIZE;
          Run missing = qemuIo("read " + far + " 512");
          assertTrue(missing.out.contains("Input/output error"), missing.out);
          unplugged.set(false);
          Run back = qemuIo("read -P " + (disk[(int) far] & 0xff) + " " + far + " 512");
          assertTrue(!back.out.contains("error"), back.out);
        } finally {
          qsd.destroy();
          qsd.waitFor();
        }
      }
      // Hoarded, with the carrier unplugged for a while meanwhile: it waits, then finishes; then
      // every chunk is on the host and the guest's disk reads whole without the carrier.
      ChunkStore store = ChunkStore.in(dir.resolve("chunks"));
      List<VerifiedImage> images = images(c, pluggable, store);
      unplugged.set(true);
      try (NbdServer server = serve("nbd.sock", images);
          Hoard hoard = Hoard.start(images)) {
        assertTrue(!hoard.await(1500), "the hoard waits for the carrier");
        assertEquals(hoard.progress().total(), hoard.progress().remaining());
        assertTrue(!hoard.progress().unpluggable());
        unplugged.set(false);
        assertTrue(hoard.await(60_000), "hoarded within a minute");
        Hoard.Progress p = hoard.progress();
        assertEquals(0, p.remaining());
        assertTrue(p.unpluggable(), p.toString());
        assertTrue(p.total() > SIZE, p.toString());
        unplugged.set(true);
        assertArrayEquals(disk, convert(server));
      }
    }
    assertEquals(List.of(), problems);
  }

  /** The NBD server of {@code images} on socket {@code name} in the test folder. */
  private NbdServer serve(String name, List<VerifiedImage> images) throws IOException {
    return NbdServer.start(VerifiedImage.exports(images), dir.resolve(name));
  }

  /** A carrier whose base is {@code disk} (raw) under an empty COW. */
  private Path carrier(byte[] disk) throws IOException {
    Path src = Files.write(dir.resolve("disk.img"), disk);
    Path folder = dir.resolve("carrier");
    CarrierInit init = new CarrierInit(VM, src, null, null, null, null, HOME, "s1", "init", 3);
    try (Carrier c = Carrier.create(SessionKit.storage(folder), init, Progress.NONE)) {
      assertEquals(List.of("base.raw", "cow.qcow2"), c.current().chain());
    }
    return folder;
  }

  private List<VerifiedImage> images(Carrier c, ImageReader reader, ChunkStore store)
      throws IOException {
    List<VerifiedImage> images = new ArrayList<>();
    for (String image : c.current().chain()) {
      images.add(
          new VerifiedImage(
              image, c.describe(image), c.chunkList(image), reader, store, problems::add));
    }
    return images;
  }

  /**
   * QEMU's node graph over {@code server}, as carryon's QEMU command line builds it: an {@code nbd}
   * node per carrier image, the raw base and the qcow2 COW over them, the COW's backing given by
   * node reference (given inline, QEMU would first make the header's backing name absolute, which
   * an NBD node cannot). {@code qemu-storage-daemon} holds the graph and exports the top as {@code
   * disk} on its own socket, which {@code qemu-img} and {@code qemu-io} read.
   */
  private Process storageDaemon(NbdServer server) throws Exception {
    String sock = server.socket().toString();
    Path out = dir.resolve("qsd.sock");
    Files.deleteIfExists(out);
    Process qsd =
        new ProcessBuilder(
                "qemu-storage-daemon",
                "--blockdev",
                "driver=nbd,node-name=base-nbd,server.type=unix,server.path=" + sock
                    + ",export=base.raw,read-only=on",
                "--blockdev",
                "driver=raw,node-name=base,file=base-nbd,read-only=on",
                "--blockdev",
                "driver=nbd,node-name=cow-nbd,server.type=unix,server.path=" + sock
                    + ",export=cow.qcow2,read-only=on",
                "--blockdev",
                "driver=qcow2,node-name=cow,file=cow-nbd,backing=base,read-only=on",
                "--nbd-server",
                "addr.type=unix,addr.path=" + out,
                "--export",
                "type=nbd,id=disk,node-name=cow,name=disk")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("qsd.log").toFile())
            .start();
    for (int i = 0; i < 200 && !Files.exists(out); i++) {
      assertTrue(qsd.isAlive(), () -> "qemu-storage-daemon ended: " + log());
      Thread.sleep(25);
    }
    assertTrue(Files.exists(out), () -> "qemu-storage-daemon did not listen: " + log());
    return qsd;
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("qsd.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  private String disk() {
    return "nbd+unix:///disk?socket=" + dir.resolve("qsd.sock");
  }

  private byte[] convert(NbdServer server) throws Exception {
    Process qsd = storageDaemon(server);
    try {
      Path out = dir.resolve("out.raw");
      Files.deleteIfExists(out);
      Run r = run("qemu-img", "convert", "-f", "raw", "-O", "raw", disk(), out.toString());
      assertEquals(0, r.exit, r.out);
      return Files.readAllBytes(out);
    } finally {
      qsd.destroy();
      qsd.waitFor();
    }
  }

  private Run qemuIo(String command) throws Exception {
    return run("qemu-io", "-r", "-f", "raw", "-c", command, disk());
  }

  private record Run(int exit, String out) {}

  private static Run run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out);
  }

  /**
   * The disk: each 512-byte sector one byte value (so {@code qemu-io read -P} can check it), and no
   * two 64 KiB chunks alike (the host keeps chunks by content: alike ones would be read once).
   */
  private static byte[] pattern() {
    byte[] disk = new byte[SIZE];
    for (int i = 0; i < SIZE; i++) {
      int sector = i / 512;
      disk[i] = (byte) (sector * 31 + (sector / 128) * 5 + 7);
    }
    return disk;
  }

  /** Every file of the carrier with its size, modification time and bytes' hash. */
  private static Map<Path, String> snapshot(Path folder) throws IOException {
    Map<Path, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(folder)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(
            p,
            Files.size(p) + " " + Files.getLastModifiedTime(p) + " "
                + java.util.Arrays.hashCode(Files.readAllBytes(p)));
      }
    }
    assertNotEquals(0, out.size());
    return out;
  }
}
