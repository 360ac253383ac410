package dev.carryon.cow;

import dev.carryon.cow.io.Buffers;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A list of reads of one image, known up front, run ahead of the caller on a few threads and
 * handed back in the order listed: what a merge or a sync needs to keep the disk (or the link)
 * busy while it compares and writes. Each read is one or more pieces (guest ranges), at most
 * {@link #MAX_BYTES} in all, that come back side by side in one buffer.
 *
 * <p>Reads are taken in turn on the caller's thread for as long as they come at page-cache speed
 * (faster than {@link #CACHED_NANOS_PER_BYTE} on the whole): handing cached data from a reading
 * thread to the writer cost more than the copy itself (200 MiB warm: the writer waited 70-100 ms
 * for reads that take 40-50 ms in turn, and the waits grew the reads to 10-16 threads). Once they
 * are slower, the reads ahead start on threads for the rest, whose threads and depth grow as a
 * merge's do (see {@link ReadAhead}). Averaged, so that one read held up by the scheduler does not
 * end the reads in turn.
 */
public final class OrderedReads implements Closeable {
  /** Bytes one read carries at most (see {@link Merger#GROUP_BYTES} for why not more). */
  public static final int MAX_BYTES = Merger.GROUP_BYTES;

  /**
   * One read: {@code lengths[i]} bytes at guest offset {@code guestOffsets[i]}, for each i, side by
   * side in one buffer.
   */
  public record Read(long[] guestOffsets, int[] lengths) {
    public Read {
      if (guestOffsets.length != lengths.length) {
        throw new IllegalArgumentException(
            guestOffsets.length + " offsets but " + lengths.length + " lengths");
      }
      long bytes = 0;
      for (int n : lengths) {
        bytes += n;
      }
      if (bytes > MAX_BYTES) {
        throw new IllegalArgumentException("a read of " + bytes + " bytes (at most " + MAX_BYTES + ")");
      }
    }
  }

  /**
   * Nanoseconds per byte above which a read is taken to have reached the device: 1 (1 GB/s). The
   * page cache serves 256 KiB in 25-50 us here (0.1-0.2 ns per byte); this disk serves scattered
   * 64 KiB clusters one at a time in about 350 us (5 ns per byte), a USB drive or a link slower.
   */
  static final long CACHED_NANOS_PER_BYTE = 1;

  private final DiskImage image;
  /** Reads ahead on threads; null while reads are taken in turn. */
  private ReadAhead reads;
  /** The buffer of the reads taken in turn. */
  private ByteBuffer inTurn;
  /** Bytes read in turn so far. */
  private long inTurnBytes;
  /** Nanoseconds those reads took. */
  private long inTurnNanos;
  /** Every read, in the order the caller takes them. */
  private final List<Read> all;
  /** Reads handed to the threads so far. */
  private int asked;
  /** Reads taken by the caller so far. */
  private int taken;

  /** Reads {@code all} of {@code image}, in that order, as the caller takes them. */
  public OrderedReads(DiskImage image, List<Read> all) {
    this.image = image;
    this.all = all;
  }

  /** Whether a read is left to take. */
  public boolean hasNext() {
    return taken < all.size();
  }

  /**
   * The next read's bytes (its pieces side by side, from position 0), waiting for them; once reads
   * run ahead, the reads after it are asked for as far ahead as there is room. Give the buffer back
   * with {@link #recycle} once done with it.
   */
  public ByteBuffer next() throws IOException {
    if (!hasNext()) {
      throw new NoSuchElementException("all " + all.size() + " reads were taken");
    }
    if (reads == null) {
      return readInTurn(all.get(taken++));
    }
    for (; asked < all.size() && reads.hasRoom(); asked++) {
      Read r = all.get(asked);
      reads.submit(r.guestOffsets(), r.lengths());
    }
    taken++;
    return reads.next();
  }

  /** Reads {@code r} on this thread; starts the reads ahead for those after it if reads are slow. */
  private ByteBuffer readInTurn(Read r) throws IOException {
    if (inTurn == null) {
      inTurn = ByteBuffer.allocateDirect(MAX_BYTES);
    }
    long start = System.nanoTime();
    image.read(Buffers.first(inTurn, MAX_BYTES), r.guestOffsets(), r.lengths());
    inTurnNanos += System.nanoTime() - start;
    inTurnBytes += inTurn.position();
    if (inTurnNanos > inTurnBytes * CACHED_NANOS_PER_BYTE) {
      reads = new ReadAhead(image, Merger.READ_THREADS, Merger.READS_AHEAD, MAX_BYTES);
      asked = taken;
    }
    return Buffers.flip(inTurn);
  }

  /** Whether the reads run ahead on threads (they are read in turn until they prove slow). */
  boolean readingAhead() {
    return reads != null;
  }

  /** Gives back a buffer {@link #next} returned, to be filled again. */
  public void recycle(ByteBuffer b) {
    if (b != inTurn) {
      reads.recycle(b);
    }
  }

  /** Lets the reads in flight finish and stops the threads. */
  @Override
  public void close() throws IOException {
    if (reads != null) {
      reads.close();
    }
  }
}
