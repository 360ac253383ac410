package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import dev.carryon.cow.io.FailingStorage;
import dev.carryon.cow.io.FileStorage;
import dev.carryon.cow.io.ForwardingStorage;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ReadAhead} over a qcow2 image written by qemu-io: order, errors, closing early. */
class ReadAheadTest {
  /** Clusters of 64 KiB, each filled with its own index + 1. */
  static final int CLUSTERS = 64;

  @TempDir Path dir;
  Path image;

  @BeforeEach
  void image() {
    image = dir.resolve("disk.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", image.toString(), CLUSTERS * 64 + "k");
    String[] writes = new String[CLUSTERS];
    for (int i = 0; i < CLUSTERS; i++) {
      // Written in reverse, so that guest order is not the file's order.
      int c = CLUSTERS - 1 - i;
      writes[i] = "write -P " + (c + 1) + " " + c * 65536L + " 64k";
    }
    Qemu.io(image, writes);
  }

  @Test
  void readsComeBackInTheOrderAskedWithPiecesSideBySide() throws Exception {
    try (DiskImage d = DiskImage.open(image, false); ReadAhead reads = new ReadAhead(d, 4, 8, 3 * 4096)) {
      int asked = 0;
      for (int taken = 0; taken < CLUSTERS; taken++) {
        while (asked < CLUSTERS && reads.hasRoom()) {
          // Three 4 KiB pieces: from this cluster, the one after it (wrapping) and this one again.
          long c = asked;
          long next = (c + 1) % CLUSTERS;
          reads.submit(new long[] {c * 65536, next * 65536 + 4096, c * 65536 + 8192}, new int[] {4096, 4096, 4096});
          asked++;
        }
        ByteBuffer b = reads.next();
        assertEquals(3 * 4096, b.remaining());
        int expect = taken + 1;
        int expectNext = (taken + 1) % CLUSTERS + 1;
        assertEquals(expect, b.get(0), "read " + taken);
        assertEquals(expectNext, b.get(4096), "read " + taken + ", second piece");
        assertEquals(expect, b.get(3 * 4096 - 1), "read " + taken + ", third piece");
        reads.recycle(b);
      }
      assertTrue(reads.hasRoom());
    }
  }

  /**
   * Pieces whose data lies side by side in the file are read as one storage read, though the guest
   * has them apart (here in reverse); pieces of zeros and of the backing file read as they do alone.
   */
  @Test
  void piecesNextToEachOtherInTheFileAreReadAsOne() throws Exception {
    // Clusters 10, 9 and the start of 8 lie in that order in the file; 7 lies past the whole of 8.
    long[] offsets = {10 * 65536L, 9 * 65536L, 8 * 65536L, 7 * 65536L};
    int[] lengths = {65536, 65536, 4096, 65536};
    FailingStorage counted = FailingStorage.failingRead(FileStorage.openReadOnly(image), 0);
    try (DiskImage d = DiskImage.open(counted, null)) {
      d.mapLayer(0, d.virtualSize());
      ByteBuffer alone = piecesReadAlone(d, offsets, lengths);
      long before = counted.reads();
      assertEquals(alone, piecesReadTogether(d, offsets, lengths));
      assertEquals(2, counted.reads() - before);
    }

    Path top = dir.resolve("top.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", "-b", image.toString(), "-F", "qcow2", top.toString());
    Qemu.io(top, "write -P 99 " + 20 * 65536L + " 64k", "write -P 98 " + 23 * 65536L + " 64k",
        "write -z " + 21 * 65536L + " 64k");
    offsets = new long[] {20 * 65536L + 512, 23 * 65536L, 21 * 65536L, 22 * 65536L, 20 * 65536L};
    lengths = new int[] {65536 - 512, 65536, 65536, 8192, 512};
    try (ImageChain chain = ImageChain.open(top)) {
      ByteBuffer alone = piecesReadAlone(chain.top(), offsets, lengths);
      assertEquals(99, alone.get(0));
      assertEquals(98, alone.get(65536 - 512));
      assertEquals(0, alone.get(2 * 65536 - 512));
      assertEquals(23, alone.get(3 * 65536 - 512));
      assertEquals(alone, piecesReadTogether(chain.top(), offsets, lengths));
    }
  }

  private static ByteBuffer piecesReadAlone(DiskImage d, long[] offsets, int[] lengths) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(java.util.Arrays.stream(lengths).sum());
    for (int i = 0; i < offsets.length; i++) {
      d.read(b.slice(b.position(), lengths[i]), offsets[i]);
      b.position(b.position() + lengths[i]);
    }
    return b.flip();
  }

  private static ByteBuffer piecesReadTogether(DiskImage d, long[] offsets, int[] lengths) throws IOException {
    int bytes = java.util.Arrays.stream(lengths).sum();
    ByteBuffer b = ByteBuffer.allocate(bytes + 100);
    d.read(b, offsets, lengths);
    assertEquals(bytes, b.position(), "moved past the pieces");
    return b.flip();
  }

  @Test
  void aFailedReadSurfacesAtItsTurnAndTheOthersStillArrive() throws Exception {
    // Reads to open the image and load its mapping, counted in a dry run.
    FailingStorage storage = FailingStorage.failingRead(FileStorage.openReadOnly(image), 0);
    try (DiskImage counted = DiskImage.open(storage, null)) {
      counted.mapLayer(0, counted.virtualSize());
    }
    long readsToMap = storage.reads();
    // Fail the 5th data read: one read per request here, one thread so that the order is known.
    try (DiskImage d = DiskImage.open(FailingStorage.failingRead(FileStorage.openReadOnly(image), readsToMap + 5), null);
        ReadAhead reads = new ReadAhead(d, 1, 8, 65536)) {
      d.mapLayer(0, d.virtualSize());
      for (int c = 0; c < 8; c++) {
        reads.submit(new long[] {c * 65536L}, new int[] {65536});
      }
      for (int c = 0; c < 8; c++) {
        if (c == 4) {
          IOException e = assertThrows(IOException.class, reads::next);
          assertTrue(e.getMessage().contains("injected failure of read"), e.getMessage());
          continue;
        }
        ByteBuffer b = reads.next();
        assertEquals(c + 1, b.get(0));
        reads.recycle(b);
      }
    }
  }

  @Test
  void startsWithOneThreadAndGrowsWhenTheCallerWaits() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    // Reads of data wait at the gate: the mapping is loaded first, through the gate left open.
    GatedStorage storage = new GatedStorage(FileStorage.openReadOnly(image), gate);
    try (DiskImage d = DiskImage.open(storage, null); ReadAhead reads = new ReadAhead(d, 3, 64, 65536)) {
      d.mapLayer(0, d.virtualSize());
      storage.closed = true;
      assertEquals(1, reads.threads());
      int asked = 0;
      while (reads.hasRoom()) {
        reads.submit(new long[] {asked * 65536L}, new int[] {65536});
        asked++;
      }
      assertEquals(ReadAhead.AHEAD_PER_THREAD, asked, "one thread, reads asked ahead for it");
      Thread opener = new Thread(() -> {
        // Opens the gate once the caller below has waited and the reads have grown (or after
        // 10 s, so that a failure shows as the assertion below rather than a hang).
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (reads.threads() < 2 && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        gate.countDown();
      });
      opener.start();
      ByteBuffer b = reads.next();
      opener.join();
      assertEquals(1, b.get(0));
      assertEquals(2, reads.threads(), "a wait adds a thread");
      assertTrue(reads.hasRoom(), "and room for more reads ahead");
    }
  }

  /** Reads through {@code inner}; once {@link #closed}, each waits for the gate to open. */
  private static final class GatedStorage extends ForwardingStorage {
    private final CountDownLatch gate;
    volatile boolean closed;

    GatedStorage(Storage inner, CountDownLatch gate) {
      super(inner);
      this.gate = gate;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      if (closed) {
        try {
          gate.await();
        } catch (InterruptedException e) {
          throw new java.io.InterruptedIOException();
        }
      }
      return inner.read(dst, position);
    }
  }

  @Test
  void closingWithReadsStillQueuedWaitsForThemAndLeavesTheImageUsable() throws Exception {
    try (DiskImage d = DiskImage.open(image, false)) {
      try (ReadAhead reads = new ReadAhead(d, 2, 16, 65536)) {
        for (int c = 0; c < 16; c++) {
          reads.submit(new long[] {c * 65536L}, new int[] {65536});
        }
        assertFalse(reads.hasRoom());
      }
      ByteBuffer b = ByteBuffer.allocate(512);
      d.read(b, 7 * 65536L);
      assertEquals(8, b.get(0), "the image still reads after the reads ahead were dropped");
    }
  }
}
