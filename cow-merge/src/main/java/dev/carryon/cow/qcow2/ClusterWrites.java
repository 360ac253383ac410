package dev.carryon.cow.qcow2;

import dev.carryon.cow.io.Buffers;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * Metadata clusters (L2 tables, refcount blocks) written at one step of a flush: in file order,
 * clusters that lie side by side joined into one write. Their order among themselves does not
 * matter; what must come before or after them is forced around the step.
 */
final class ClusterWrites {
  /** Most bytes one joined write carries (see Merger.GROUP_BYTES for why not more). */
  private static final int MAX_JOINED = 256 << 10;

  private final long clusterSize;
  /** Cluster content by host offset. */
  private final TreeMap<Long, byte[]> clusters = new TreeMap<>();

  ClusterWrites(long clusterSize) {
    this.clusterSize = clusterSize;
  }

  /** Adds a whole cluster's content for host offset {@code offset}. */
  void add(long offset, byte[] content) {
    clusters.put(offset, content);
  }

  /** Writes everything added, joined where it can be. */
  void writeTo(Storage storage) throws IOException {
    int perWrite = (int) Math.max(1, MAX_JOINED / clusterSize);
    long runStart = -1;
    int runLength = 0;
    byte[][] run = new byte[perWrite][];
    for (Map.Entry<Long, byte[]> e : clusters.entrySet()) {
      if (runLength > 0 && (e.getKey() != runStart + runLength * clusterSize || runLength == perWrite)) {
        write(storage, runStart, run, runLength);
        runLength = 0;
      }
      if (runLength == 0) {
        runStart = e.getKey();
      }
      run[runLength++] = e.getValue();
    }
    if (runLength > 0) {
      write(storage, runStart, run, runLength);
    }
  }

  private void write(Storage storage, long offset, byte[][] run, int n) throws IOException {
    if (n == 1) {
      storage.write(ByteBuffer.wrap(run[0]), offset);
      return;
    }
    ByteBuffer b = ByteBuffer.allocate((int) (n * clusterSize));
    for (int i = 0; i < n; i++) {
      b.put(run[i]);
    }
    storage.write(Buffers.flip(b), offset);
  }
}
