package dev.carryon.carrier;

import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * Tiny stand-ins for disk images, enough for the carrier's own logic. A base is {@link #CLUSTERS}
 * raw clusters; an overlay (COW or layer) holds, per cluster, a presence byte and the cluster's
 * bytes. Reading a chain takes each cluster from the topmost image that has it; merging copies a
 * layer's present clusters into the target in place (idempotent, like the real merge).
 */
final class FakeImages {
  /** Bytes per cluster. */
  static final int CLUSTER = 64;

  /** Clusters per image. */
  static final int CLUSTERS = 8;

  /** Bytes per overlay slot: presence byte + cluster. */
  private static final int SLOT = 1 + CLUSTER;

  /** Merges like the real engine would, with a write point per cluster written. */
  static final LayerMerger MERGER = FakeImages::merge;

  private FakeImages() {}

  /** A base whose cluster i is filled with byte {@code seed + i}. */
  static byte[] base(int seed) {
    byte[] b = new byte[CLUSTERS * CLUSTER];
    for (int i = 0; i < CLUSTERS; i++) {
      Arrays.fill(b, i * CLUSTER, (i + 1) * CLUSTER, (byte) (seed + i));
    }
    return b;
  }

  /** An overlay holding the given clusters, each filled with {@code fill}. */
  static byte[] overlay(int fill, int... clusters) {
    byte[] o = new byte[CLUSTERS * SLOT];
    for (int c : clusters) {
      o[c * SLOT] = 1;
      Arrays.fill(o, c * SLOT + 1, (c + 1) * SLOT, (byte) fill);
    }
    return o;
  }

  /** What a guest reads through {@code chain} (base first). */
  static byte[] visible(List<Path> chain) throws IOException {
    byte[] disk = Files.readAllBytes(chain.get(0));
    for (Path overlay : chain.subList(1, chain.size())) {
      byte[] o = Files.readAllBytes(overlay);
      for (int c = 0; c < CLUSTERS; c++) {
        if (o[c * SLOT] == 1) {
          System.arraycopy(o, c * SLOT + 1, disk, c * CLUSTER, CLUSTER);
        }
      }
    }
    return disk;
  }

  /** {@code disk} with the clusters of overlay {@code o} applied. */
  static byte[] apply(byte[] disk, byte[] o) {
    byte[] out = disk.clone();
    for (int c = 0; c < CLUSTERS; c++) {
      if (o[c * SLOT] == 1) {
        System.arraycopy(o, c * SLOT + 1, out, c * CLUSTER, CLUSTER);
      }
    }
    return out;
  }

  private static void merge(Path layer, Path into) throws IOException {
    byte[] o = Files.readAllBytes(layer);
    try (FileChannel ch = FileChannel.open(into, StandardOpenOption.WRITE)) {
      for (int c = 0; c < CLUSTERS; c++) {
        if (o[c * SLOT] == 1) {
          WritePoints.reach(into, "merge cluster " + c);
          ch.write(ByteBuffer.wrap(o, c * SLOT, SLOT), (long) c * SLOT);
        }
      }
    }
  }
}
