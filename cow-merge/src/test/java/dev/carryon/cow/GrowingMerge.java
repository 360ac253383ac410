package dev.carryon.cow;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A target and a top whose merge grows the target's refcount table half way: 512-byte clusters
 * with 64-bit refcounts, so that one table cluster covers 2 MiB of file, and a base that already
 * fills most of it. The top overwrites base data in place, zeroes some, adds a partial cluster and
 * scatters new data over the disk (new L2 tables, new refcount blocks, the new table).
 */
final class GrowingMerge {
  static final String BASE = "base.qcow2";
  static final String TOP = "top.qcow2";
  /** The target's cluster size: the unit that must read old or new after a cut. */
  static final int CLUSTER = 512;

  private GrowingMerge() {}

  /** Makes {@link #BASE} and {@link #TOP} in {@code folder}. */
  static void make(Path folder) {
    Path base = folder.resolve(BASE);
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512,refcount_bits=64", base.toString(), "4M");
    Qemu.io(base, "write -P 1 0 1800k", "write -P 2 3M 64k");
    Path top = folder.resolve(TOP);
    Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4K", "-b", BASE, "-F", "qcow2", top.toString());
    List<String> writes = new ArrayList<>(List.of(
        "write -P 3 64k 12k", "write -z 200k 8k", "write -P 4 1000k 512", "write -P 5 3M 4k"));
    for (int i = 0; i < 24; i++) {
      writes.add("write -P " + (16 + i) + " " + (i * 263L + 17) % 256 * 16384 + " 16k");
    }
    Qemu.io(top, writes.toArray(String[]::new));
  }

  /** A copy of the two images of {@code template} in a new folder {@code to}. */
  static Path copy(Path template, Path to) throws Exception {
    Files.createDirectory(to);
    for (String f : List.of(BASE, TOP)) {
      Files.copy(template.resolve(f), to.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
    }
    return to;
  }
}
