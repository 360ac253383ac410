package dev.carryon.sync.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierInit;
import dev.carryon.carrier.HostIdentity;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.SessionEnd;
import dev.carryon.carrier.VmConfig;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.cow.ImageChain;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Carriers and host images of real qcow2 files for the sync tests: bases made with qemu-img and
 * qemu-io, sessions whose guest writes are made with qemu-io into a local COW and committed with
 * the carrier API, and qemu-img as the oracle.
 */
public final class Disks {
  /** The host the test carriers and host images belong to. */
  public static final HostIdentity HOME = new HostIdentity("host-home-1", "home-pc");

  static final VmConfig VM =
      new VmConfig(
          "pc-q35-7.2", "qemu64", 256, 1, "virtio-blk", null, null, "console=ttyS0", List.of());

  private Disks() {}

  /**
   * A qcow2 disk of {@code size} bytes at {@code path} whose clusters hold data, written with
   * qemu-io: byte {@code seed + i} fills the first 4 KiB of cluster i (for the clusters of {@code
   * every}), so that two disks of another seed differ everywhere a sample looks.
   */
  public static Path qcow2(Path path, long size, int seed, int every) throws IOException {
    run(0, "qemu-img", "create", "-q", "-f", "qcow2", path.toString(), Long.toString(size));
    List<String> args = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
    for (long at = 0; at < size; at += (long) every * HostSync.CLUSTER) {
      args.add("-c");
      args.add("write -q -P " + ((seed + at / HostSync.CLUSTER) & 0xff) + " " + at + " 4k");
    }
    args.add(path.toString());
    run(0, args.toArray(String[]::new));
    return path;
  }

  /** A new carrier in {@code folder} over a copy of {@code base}, keeping {@code keep}. */
  public static Path carrier(Path folder, Path base, int keep) throws IOException {
    CarrierInit init =
        new CarrierInit(VM, base, null, null, null, null, HOME, "s1", "init", keep);
    try (Carrier c = Carrier.create(storage(folder), init, Progress.NONE)) {
      return folder;
    }
  }

  /** The storage of the carrier in {@code folder}: every sync test makes it here. */
  public static CarrierStorage storage(Path folder) {
    return FolderStorage.of(folder);
  }

  /** Opens the carrier in {@code folder} read-only. */
  public static Carrier open(Path folder) throws IOException {
    return Carrier.open(storage(folder));
  }

  /** Opens the carrier in {@code folder} to write it, as a test command. */
  public static Carrier openForWrite(Path folder) throws IOException {
    return Carrier.openForWrite(storage(folder), "sync test");
  }

  /** The local file of carrier file {@code name} of a carrier in a folder. */
  public static Path file(Carrier c, String name) {
    return Path.of(c.describe(name));
  }

  /**
   * Ends a session on {@code carrier} that resumed its current generation and made {@code writes}
   * (qemu-io commands such as {@code "write -P 7 0 64k"}): a local COW over the carrier's top in
   * {@code work}, copied in as the next generation (cold boot).
   */
  public static void session(Path carrier, Path work, String... writes) throws IOException {
    try (Carrier c = openForWrite(carrier)) {
      String session = "s" + (c.current().number() + 1);
      c.takeLease(HOME, session);
      SessionEnd end = c.beginEnd(HOME, session, c.current().number());
      Files.createDirectories(work);
      Path local = work.resolve("local-" + end.generation() + ".qcow2");
      Files.deleteIfExists(local);
      String top = Disks.file(c, c.current().top()).toString();
      run(0, "qemu-img", "create", "-q", "-f", "qcow2", "-b", top, "-F", "qcow2",
          local.toString());
      List<String> args = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
      for (String w : writes) {
        args.add("-c");
        args.add(w);
      }
      args.add(local.toString());
      run(0, args.toArray(String[]::new));
      end.copyLayer(local, Progress.NONE);
      end.coldBoot();
      c.commitGeneration(end, "test session " + session);
      Files.delete(local);
    }
  }

  /** The guest-visible content of {@code image} through its backing chain. */
  public static byte[] read(Path image) throws IOException {
    try (ImageChain chain = ImageChain.open(image)) {
      ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(chain.virtualSize()));
      chain.read(b, 0);
      return b.array();
    }
  }

  /** Runs {@code qemu-img compare} and returns its exit code (0 identical, 1 different). */
  public static int compare(Path a, Path b) throws IOException {
    return exec("qemu-img", "compare", a.toString(), b.toString()).exit();
  }

  /** Runs a command, asserts its exit code is {@code exit} and returns its output. */
  public static String run(int exit, String... command) throws IOException {
    Result r = exec(command);
    assertEquals(exit, r.exit(), String.join(" ", command) + " said:\n" + r.output());
    return r.output();
  }

  /** What a command printed (stdout and stderr) and its exit code. */
  public record Result(int exit, String output) {}

  public static Result exec(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish in 60 s");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

}
