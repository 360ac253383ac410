package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.cow.Encryption;
import dev.carryon.cow.ImageSecrets;
import dev.carryon.cow.Qcow2Creator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/** Carriers of real (tiny) images, and session ends on them, for the tests of this package. */
final class Fixtures {
  static final HostIdentity HOME = new HostIdentity("host-home-1", "home-pc");
  static final HostIdentity OFFICE = new HostIdentity("host-office-2", "office-pc");
  static final VmConfig VM =
      new VmConfig(
          "pc-q35-7.2",
          "qemu64",
          256,
          1,
          "virtio-blk",
          null,
          null,
          "console=ttyS0",
          List.of("virtio-vga", "qemu-xhci", "usb-tablet", "virtio-net-pci,mac=52:54:00:12:34:56"));

  /** Virtual disk size: 16 clusters of 64 KiB. */
  static final int SIZE = 1 << 20;

  /** Bytes of a 64 KiB cluster. */
  static final int CLUSTER = 64 << 10;

  private Fixtures() {}

  /** The disk content of generation 1: the base. */
  static byte[] baseContent() {
    return Images.pattern(SIZE, 10);
  }

  /** Source files of a carrier in {@code src}: a raw base, kernel, initrd and state 1. */
  static CarrierInit init(Path src, int keep) throws IOException {
    Files.createDirectories(src);
    Path base = Files.write(src.resolve("disk.img"), baseContent());
    Path kernel = Files.writeString(src.resolve("vmlinuz"), "kernel");
    Path initrd = Files.writeString(src.resolve("initrd"), "initrd");
    Path state = Files.write(src.resolve("state.zst"), stateBytes(1));
    return new CarrierInit(VM, base, null, kernel, initrd, state, HOME, "s1", "init", keep);
  }

  /** The bytes of the fake state saved as generation {@code g}. */
  static byte[] stateBytes(long g) {
    return ("state of generation " + g).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * What the guest of the session ending as generation {@code g} writes: part of one cluster and
   * the whole of another, at places that vary with {@code g}.
   */
  static List<Images.Write> writes(long g) {
    int clusters = SIZE / CLUSTER;
    return List.of(
        new Images.Write((g % clusters) * CLUSTER + 4096 * (g % 3), 8192, (byte) (100 + g)),
        new Images.Write(((g * 5 + 3) % clusters) * CLUSTER, CLUSTER, (byte) (200 + g)));
  }

  /** {@code disk} with the writes of generation {@code g}. */
  static byte[] apply(byte[] disk, long g) {
    return Images.apply(disk, writes(g));
  }

  static Carrier create(Path dir, int keep, Clock clock) throws IOException {
    return Carrier.create(
        storage(dir.resolve("carrier")), init(dir.resolve("src"), keep), Progress.NONE, clock);
  }

  /** The storage of the carrier in {@code folder}: every test of this package makes it here. */
  static CarrierStorage storage(Path folder) {
    return FolderStorage.of(folder);
  }

  /** Opens the carrier in {@code folder} read-only. */
  static Carrier open(Path folder) throws IOException {
    return Carrier.open(storage(folder));
  }

  /** Opens the carrier in {@code folder} to write it, as a test command. */
  static Carrier openForWrite(Path folder) throws IOException {
    return Carrier.openForWrite(storage(folder), "carrier test");
  }

  /** Commits {@code m} on the carrier in {@code folder} as a command cut after it would have. */
  static void commit(Path folder, Manifest m) throws IOException {
    ManifestStore.read(storage(folder), Clock.systemUTC()).commit(m);
  }

  /** The carrier's folder. */
  static Path folder(Carrier c) {
    return ((FolderStorage) c.storage()).folder();
  }

  /** The local file of carrier file {@code name}, for checks with qemu-img and the like. */
  static Path file(Carrier c, String name) {
    return folder(c).resolve(name);
  }

  /** The state file of {@code g}, or null when it boots cold. */
  static Path stateFile(Carrier c, Generation g) {
    return g.state() == null ? null : file(c, g.state());
  }

  /**
   * The host's local COW of the session ending as {@code g}: a qcow2 overlay naming the top of
   * {@code resumed}'s chain on the carrier by its absolute path, holding {@link #writes}; on an
   * encrypted carrier, encrypted with its disk secret as resume makes it.
   */
  static Path localCow(Carrier c, long resumed, Path work, long g) throws IOException {
    Files.createDirectories(work);
    Path cow = work.resolve("local-" + g + ".qcow2");
    Files.deleteIfExists(cow);
    String top = file(c, c.checkpoint(resumed).top()).toString();
    byte[] secret = c.diskSecret().orElse(null);
    Qcow2Creator.create(cow, -1, top, "qcow2", Qcow2Creator.DEFAULT_CLUSTER_SIZE, 3,
        secret == null ? null : Encryption.luks(secret));
    Images.write(cow, writes(g), secret == null ? ImageSecrets.NONE : ImageSecrets.of(secret));
    return cow;
  }

  /**
   * One whole session on {@code host}: take the lease, resume {@code resumed}, end with the layer
   * and state of the next generation.
   */
  static EndResult session(Carrier c, HostIdentity host, long resumed, Path work)
      throws IOException {
    String session = "s" + (c.manifest().currentGeneration() + 1);
    c.takeLease(host, session);
    return end(c, host, session, resumed, work);
  }

  /** Ends a session that already holds the lease. */
  static EndResult end(Carrier c, HostIdentity host, String session, long resumed, Path work)
      throws IOException {
    SessionEnd end = c.beginEnd(host, session, resumed);
    long g = end.generation();
    end.copyLayer(localCow(c, resumed, work, g), Progress.NONE);
    end.listLayer(); // as a session end does, beside the state's copy
    end.copyState(Files.write(work.resolve("state"), stateBytes(g)), Progress.NONE);
    return c.commitGeneration(end, "end of " + session);
  }
}
