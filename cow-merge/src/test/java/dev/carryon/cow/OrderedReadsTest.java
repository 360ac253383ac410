package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.cow.io.FileStorage;
import dev.carryon.cow.io.ForwardingStorage;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OrderedReads}: reads in turn while they are fast, on threads once the device is slow. */
class OrderedReadsTest {
  /** Clusters of 64 KiB, each filled with its own index + 1. */
  static final int CLUSTERS = 32;

  @TempDir Path dir;

  @Test
  void slowReadsMoveToThreadsAndEveryReadStillComesBackInOrder() throws Exception {
    Path image = dir.resolve("disk.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", image.toString(), CLUSTERS * 64 + "k");
    String[] writes = new String[CLUSTERS];
    for (int c = 0; c < CLUSTERS; c++) {
      writes[c] = "write -P " + (c + 1) + " " + c * 65536L + " 64k";
    }
    Qemu.io(image, writes);
    // Two clusters a read, the second before the first: pieces side by side in the buffer.
    List<OrderedReads.Read> list = new ArrayList<>();
    for (int c = 0; c < CLUSTERS; c += 2) {
      list.add(new OrderedReads.Read(new long[] {(c + 1) * 65536L, c * 65536L}, new int[] {65536, 65536}));
    }
    SlowStorage storage = new SlowStorage(FileStorage.openReadOnly(image));
    try (DiskImage d = DiskImage.open(storage, null)) {
      d.mapLayer(0, d.virtualSize());
      // 2 ms a read: 15 ns a byte of 128 KiB, as a device far slower than the page cache serves it.
      storage.slow = true;
      try (OrderedReads reads = new OrderedReads(d, list)) {
        assertFalse(reads.readingAhead(), "nothing read yet");
        for (int i = 0; i < list.size(); i++) {
          ByteBuffer b = reads.next();
          assertEquals(2 * 65536, b.remaining());
          assertEquals(2 * i + 2, b.get(0), "read " + i);
          assertEquals(2 * i + 1, b.get(65536), "read " + i + ", second piece");
          reads.recycle(b);
          assertTrue(reads.readingAhead(), "a slow read starts the reads ahead (read " + i + ")");
        }
        assertFalse(reads.hasNext());
      }
    }
  }

  /** Reads through {@code inner}; once {@link #slow}, each read first sleeps 2 ms. */
  private static final class SlowStorage extends ForwardingStorage {
    volatile boolean slow;

    SlowStorage(Storage inner) {
      super(inner);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      if (slow) {
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          throw new InterruptedIOException();
        }
      }
      return inner.read(dst, position);
    }
  }
}
