package dev.carryon.cow;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A list of reads of one image, known up front, run ahead of the caller on a few threads and
 * handed back in the order listed: what a merge or a sync needs to keep the disk (or the link)
 * busy while it compares and writes. Each read is one or more pieces (guest ranges), at most
 * {@link #MAX_BYTES} in all, that come back side by side in one buffer. The threads and the depth
 * grow as a merge's do (see {@link ReadAhead}): data already in the page cache is read by one
 * thread.
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

  private final ReadAhead reads;
  /** Every read, in the order the caller takes them. */
  private final List<Read> all;
  /** Reads handed to the threads so far. */
  private int asked;
  /** Reads taken by the caller so far. */
  private int taken;

  /** Reads {@code all} of {@code image}, in that order, as the caller takes them. */
  public OrderedReads(DiskImage image, List<Read> all) {
    this.reads = new ReadAhead(image, Merger.READ_THREADS, Merger.READS_AHEAD, MAX_BYTES);
    this.all = all;
  }

  /** Whether a read is left to take. */
  public boolean hasNext() {
    return taken < all.size();
  }

  /**
   * The next read's bytes (its pieces side by side, from position 0), waiting for them; the reads
   * after it are asked for as far ahead as there is room. Give the buffer back with {@link
   * #recycle} once done with it.
   */
  public ByteBuffer next() throws IOException {
    if (!hasNext()) {
      throw new NoSuchElementException("all " + all.size() + " reads were taken");
    }
    for (; asked < all.size() && reads.hasRoom(); asked++) {
      Read r = all.get(asked);
      reads.submit(r.guestOffsets(), r.lengths());
    }
    taken++;
    return reads.next();
  }

  /** Gives back a buffer {@link #next} returned, to be filled again. */
  public void recycle(ByteBuffer b) {
    reads.recycle(b);
  }

  /** Lets the reads in flight finish and stops the threads. */
  @Override
  public void close() throws IOException {
    reads.close();
  }
}
