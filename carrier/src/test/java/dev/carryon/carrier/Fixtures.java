package dev.carryon.carrier;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/** Carriers made of fake images, and session ends on them, for the tests of this package. */
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
          List.of("virtio-rng-pci"));

  private Fixtures() {}

  /** Source files of a carrier in {@code src}: base, empty COW, kernel, initrd and state 1. */
  static CarrierInit init(Path src, int keep) throws IOException {
    Files.createDirectories(src);
    Path base = Files.write(src.resolve("disk.img"), FakeImages.base(10));
    Path cow = Files.write(src.resolve("cow.qcow2"), FakeImages.overlay(0));
    Path kernel = Files.writeString(src.resolve("vmlinuz"), "kernel");
    Path initrd = Files.writeString(src.resolve("initrd"), "initrd");
    Path state = Files.write(src.resolve("state.zst"), stateBytes(1));
    return new CarrierInit(VM, base, cow, kernel, initrd, state, HOME, "s1", "init", keep);
  }

  /** The bytes of the fake state saved as generation {@code g}. */
  static byte[] stateBytes(long g) {
    return ("state of generation " + g).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The fake layer a session ending as generation {@code g} writes. */
  static byte[] layerBytes(long g) {
    return FakeImages.overlay(
        (int) (100 + g), (int) (g % FakeImages.CLUSTERS), (int) ((g * 3) % FakeImages.CLUSTERS));
  }

  static Carrier create(Path dir, int keep, Clock clock) throws IOException {
    return Carrier.create(
        dir.resolve("carrier"),
        init(dir.resolve("src"), keep),
        FakeImages.MERGER,
        Progress.NONE,
        clock);
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
    Files.createDirectories(work);
    long g = end.generation();
    end.copyLayer(Files.write(work.resolve("layer"), layerBytes(g)), Progress.NONE);
    end.copyState(Files.write(work.resolve("state"), stateBytes(g)), Progress.NONE);
    return c.commitGeneration(end, "end of " + session);
  }
}
