package dev.carryon.carrier.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A stream read ahead of its reader by a thread of its own, up to a bound: a carrier file is
 * fetched while the host does other work before it reads the file (resume fetches the RAM state
 * while QEMU starts), and the link is not idle. What the source fails with is thrown to the reader
 * at the position where it failed, after every byte before it.
 */
public final class ReadAhead extends InputStream {
  /** Bytes read from the source at a time. */
  static final int PIECE = 1 << 20;

  /** Stands for the source's end (or failure) in {@link #pieces}. */
  private static final byte[] END = new byte[0];

  /** Pieces read and not yet taken by the reader, at most the bound's worth, then {@link #END}. */
  private final BlockingQueue<byte[]> pieces;

  /** The source, closed by the filler when done and by {@link #close} to stop it. */
  private final InputStream source;

  /** Reads the source into {@link #pieces}. */
  private final Thread filler;

  /** What the source failed with, or null; set before {@link #END} is queued. */
  private volatile IOException failure;

  /** Set by {@link #close}: the filler stops. */
  private volatile boolean closed;

  /** The piece being read by the reader, or null. */
  private byte[] current;

  /** The reader's position in {@link #current}. */
  private int position;

  /** Set once the reader took {@link #END}. */
  private boolean ended;

  private ReadAhead(InputStream source, String what, long limit) {
    this.source = source;
    this.pieces = new ArrayBlockingQueue<>((int) Math.max(2, Math.min(limit / PIECE, 4096)) + 1);
    this.filler = new Thread(this::fill, "carryon read-ahead " + what);
    filler.setDaemon(true);
  }

  /**
   * Starts reading {@code source} ({@code what}, for the thread's name) ahead, holding at most
   * about {@code limit} bytes the reader has not taken yet (at least two pieces of 1 MiB).
   */
  public static ReadAhead start(InputStream source, String what, long limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("read-ahead limit " + limit + " is negative");
    }
    ReadAhead r = new ReadAhead(source, what, limit);
    r.filler.start();
    return r;
  }

  private void fill() {
    try (InputStream in = source) {
      boolean more = true;
      while (more && !closed) {
        byte[] piece = new byte[PIECE];
        int filled = 0;
        try {
          while (filled < PIECE) {
            int n = in.read(piece, filled, PIECE - filled);
            if (n < 0) {
              more = false;
              break;
            }
            filled += n;
          }
        } catch (IOException e) {
          failure = e; // queued after the bytes read before it
          more = false;
        }
        if (filled > 0) {
          pieces.put(filled == PIECE ? piece : java.util.Arrays.copyOf(piece, filled));
        }
      }
    } catch (IOException e) {
      // Closing the source failed: every byte was read, nothing is lost.
    } catch (InterruptedException e) {
      return; // closed: nobody reads on
    }
    try {
      pieces.put(END);
    } catch (InterruptedException e) {
      // closed while the queue was full: nobody reads on
    }
  }

  /** The thread reading ahead, for tests. */
  Thread filler() {
    return filler;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    java.util.Objects.checkFromIndexSize(offset, length, buffer.length);
    if (closed) {
      throw new IOException("read-ahead stream closed");
    }
    if (length == 0) {
      return 0;
    }
    if (current == null || position == current.length) {
      if (ended) {
        throwFailure();
        return -1;
      }
      if (!next()) {
        return -1;
      }
    }
    int n = Math.min(length, current.length - position);
    System.arraycopy(current, position, buffer, offset, n);
    position += n;
    return n;
  }

  /** Takes the next piece; false at the source's end; throws what the source failed with. */
  private boolean next() throws IOException {
    byte[] piece;
    try {
      piece = pieces.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the read-ahead");
    }
    if (piece == END) {
      ended = true;
      current = null;
      throwFailure();
      return false;
    }
    current = piece;
    position = 0;
    return true;
  }

  /** Throws what the source failed with, if it failed: at every read past the failure. */
  private void throwFailure() throws IOException {
    IOException e = failure;
    if (e != null) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public int available() {
    return current == null ? 0 : current.length - position;
  }

  /** Stops the read-ahead and closes the source; what was read ahead is dropped. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    filler.interrupt();
    pieces.clear();
    current = null;
    source.close(); // a filler blocked in a read gets out of it so
  }
}
