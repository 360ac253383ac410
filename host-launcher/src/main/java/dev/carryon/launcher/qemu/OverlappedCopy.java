package dev.carryon.launcher.qemu;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Copies a channel to its end into another with the reads on a thread of their own, so that the
 * two sides overlap: a restore's reads unpack (and on an encrypted carrier unseal) the state while
 * QEMU loads what came before, where one thread took turns (QEMU idle while carryon unpacked a
 * buffer, carryon blocked while QEMU loaded it: measured, the reads' 0.10-0.14 s per restore added
 * to QEMU's 0.09-1.1 s). Bytes reach the writer in order, a whole buffer at a time; a failed read
 * fails the copy, and the buffer it cut short is not written.
 */
final class OverlappedCopy {
  /** Buffers in flight: one being read, one being written, and slack for the uneven sides. */
  private static final int BUFFERS = 4;
  /** Size of each direct buffer. */
  private static final int BUFFER = 1 << 20;
  /** How long a copy that failed waits for its reader to let go of the source. */
  private static final long READER_EXIT_MILLIS = 10_000;

  /** A buffer read (flipped), the source's end ({@code buffer} null), or the read's failure. */
  private record Read(ByteBuffer buffer, Throwable failure) {
    static final Read END = new Read(null, null);
  }

  private OverlappedCopy() {}

  /**
   * Copies {@code from} to its end into {@code to}; returns the bytes. Neither is closed. The
   * reader thread has let go of {@code from} when this returns or throws (unless a read blocks
   * past an interrupt for {@link #READER_EXIT_MILLIS}).
   *
   * @param name names the reader thread
   * @throws IOException the read's or the write's failure, whichever came first
   */
  static long copy(ReadableByteChannel from, WritableByteChannel to, String name)
      throws IOException {
    BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(BUFFERS);
    for (int i = 0; i < BUFFERS; i++) {
      free.add(ByteBuffer.allocateDirect(BUFFER));
    }
    // One slot more than there are buffers: the end or a failure always fits.
    BlockingQueue<Read> read = new ArrayBlockingQueue<>(BUFFERS + 1);
    Thread reader = new Thread(() -> readAll(from, free, read), name);
    reader.setDaemon(true);
    reader.start();
    long bytes = 0;
    try {
      while (true) {
        Read r = read.take();
        if (r.failure() != null) {
          throw rethrown(r.failure());
        }
        if (r.buffer() == null) {
          return bytes;
        }
        bytes += r.buffer().remaining();
        while (r.buffer().hasRemaining()) {
          to.write(r.buffer());
        }
        r.buffer().clear();
        free.add(r.buffer());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted copying to " + name);
    } finally {
      reader.interrupt(); // a reader waiting for a buffer after a failed write
      try {
        reader.join(READER_EXIT_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void readAll(
      ReadableByteChannel from, BlockingQueue<ByteBuffer> free, BlockingQueue<Read> read) {
    try {
      while (true) {
        ByteBuffer b = free.take();
        // Filled before it is handed on: fewer, larger writes on the other side.
        int n;
        do {
          n = from.read(b);
        } while (n >= 0 && b.hasRemaining());
        b.flip();
        if (b.hasRemaining()) {
          read.add(new Read(b, null));
        }
        if (n < 0) {
          read.add(Read.END);
          return;
        }
      }
    } catch (InterruptedException e) {
      // The writer failed and stopped taking buffers: nothing more is wanted.
    } catch (IOException | RuntimeException | Error e) {
      read.add(new Read(null, e));
    }
  }

  private static IOException rethrown(Throwable failure) {
    if (failure instanceof IOException io) {
      return io;
    }
    if (failure instanceof RuntimeException r) {
      throw r;
    }
    throw (Error) failure;
  }
}
