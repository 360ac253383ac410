package dev.carryon.cow;

import dev.carryon.testdata.fuzz.FuzzInput;
import dev.carryon.testdata.fuzz.Qcow2Fields;
import dev.carryon.testdata.fuzz.Seed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Valid qcow2 images made by qemu-img and qemu-io, small (mostly 512-byte clusters) so that
 * mutations hit metadata and minimised findings stay a few KiB: every format variant the engine
 * reads (v2 and v3, compressed zlib and zstd clusters, extended L2 entries, refcount widths,
 * internal snapshots, a bitmap extension, a backing file, zero clusters).
 */
final class Qcow2Seeds {
  private Qcow2Seeds() {}

  /** The base image of {@link #overlay}: 256 KiB virtual, 512-byte clusters, some data. */
  static Path base(Path dir) {
    Path p = dir.resolve("base.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", p.toString(), "256K");
    Qemu.io(p, "write -P 1 0 4k", "write -P 2 100k 1536", "write -z 8k 1k", "write -P 3 200k 512");
    return p;
  }

  /**
   * An overlay of {@code base} (backing name "base.qcow2", format extension): data over and
   * beside the base's, compressed clusters, a zero cluster.
   */
  static Path overlay(Path base, String name) {
    Path p = base.resolveSibling(name);
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "-b", base.getFileName().toString(), "-F", "qcow2",
        p.toString());
    Qemu.io(p, "write -P 9 1k 2k", "write -c -P 7 64k 512", "write -c -P 8 65024 512", "write -z 4k 512",
        "write -P 10 150k 3k");
    return p;
  }

  /** Every variant, each as an input of one file named {@code name}. */
  static List<Seed> all(Path dir, String name) throws IOException {
    List<Seed> seeds = new ArrayList<>();
    Path base = base(dir);
    seeds.add(seed("v3, 512-byte clusters", base, name));
    seeds.add(seed("v3 overlay with backing file, compressed and zero clusters", overlay(base, "top.qcow2"), name));
    seeds.add(seed("v2 (compat 0.10)", image(dir, "v2.qcow2", "compat=0.10,cluster_size=512", "256K",
        "write -P 1 0 4k", "write -P 2 130k 1536"), name));
    seeds.add(seed("zstd compression, 4 KiB clusters", image(dir, "zstd.qcow2", "cluster_size=4096,compression_type=zstd", "256K",
        "write -c -P 7 0 4k", "write -c -P 6 8k 4k", "write -P 5 128k 4k"), name));
    seeds.add(seed("zlib compression, 4 KiB clusters", image(dir, "zlib.qcow2", "cluster_size=4096", "256K",
        "write -c -P 7 0 4k", "write -c -P 6 12k 4k", "write -P 5 64k 8k"), name));
    seeds.add(seed("extended L2 entries, 16 KiB clusters", image(dir, "extl2.qcow2", "cluster_size=16k,extended_l2=on", "1M",
        "write -P 7 0 1k", "write -P 5 40k 3k", "write -z 100k 16k", "write -z 200k 2k"), name));
    seeds.add(seed("1-bit refcounts", image(dir, "r1.qcow2", "cluster_size=512,refcount_bits=1", "128K",
        "write -P 7 0 1k", "write -P 8 64k 512"), name));
    seeds.add(seed("64-bit refcounts", image(dir, "r64.qcow2", "cluster_size=512,refcount_bits=64", "128K",
        "write -P 7 0 1k", "write -P 8 64k 512"), name));
    Path snap = image(dir, "snap.qcow2", "cluster_size=512", "128K", "write -P 7 0 1k");
    Qemu.img("snapshot", "-c", "snap1", snap.toString());
    Qemu.io(snap, "write -P 8 0 512", "write -P 9 32k 1k");
    Qemu.img("bitmap", "--add", snap.toString(), "b0");
    seeds.add(seed("internal snapshot and a dirty bitmap", snap, name));
    seeds.add(seed("64 KiB clusters (qemu-img's default)", image(dir, "default.qcow2", "cluster_size=65536", "1M",
        "write -P 7 0 4k", "write -P 1 512k 64k"), name));
    return seeds;
  }

  private static Path image(Path dir, String file, String options, String size, String... writes) {
    Path p = dir.resolve(file);
    Qemu.img("create", "-q", "-f", "qcow2", "-o", options, p.toString(), size);
    Qemu.io(p, writes);
    return p;
  }

  private static Seed seed(String what, Path image, String name) throws IOException {
    byte[] content = Files.readAllBytes(image);
    return new Seed(what, FuzzInput.of(name, content), Qcow2Fields.of(name, content));
  }
}
