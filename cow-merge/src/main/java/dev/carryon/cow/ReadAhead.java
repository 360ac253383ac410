package dev.carryon.cow;

import dev.carryon.cow.io.Buffers;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads of one image run ahead on a few threads and handed back in the order they were asked for:
 * a disk (or a link) that serves several requests at once is busy while the caller writes. Each
 * read fills one buffer with consecutive pieces (guest ranges) of the image.
 *
 * <p>It starts with one thread and {@link #AHEAD_PER_THREAD} reads ahead, and adds a thread (up to
 * its maximum) each time the caller has to wait for a read: a slow disk soon has its depth, while
 * data the page cache already holds is read by one thread and few buffers, as it would be without
 * reads ahead.
 */
final class ReadAhead implements Closeable {
  /** Names the reader threads. */
  private static final AtomicInteger POOLS = new AtomicInteger();
  /** Reads asked for ahead per reading thread. */
  static final int AHEAD_PER_THREAD = 4;

  private final DiskImage image;
  /** Bytes each buffer holds. */
  private final int bufferBytes;
  /** Reads at most asked for and not yet taken (each with its buffer); threads read them in turn. */
  private final int depth;
  /** Threads at most. */
  private final int maxThreads;
  private final ThreadPoolExecutor pool;
  /** Buffers not in use (at most {@link #depth} + 1 are ever made: one is with the caller). */
  private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
  /** Reads asked for and not yet taken, oldest first. */
  private final ArrayDeque<Future<ByteBuffer>> inFlight = new ArrayDeque<>();

  /**
   * @param maxThreads threads it may grow to
   * @param depth reads it may grow to asking for ahead
   * @param bufferBytes bytes one read carries at most
   */
  ReadAhead(DiskImage image, int maxThreads, int depth, int bufferBytes) {
    this.image = image;
    this.maxThreads = maxThreads;
    this.depth = depth;
    this.bufferBytes = bufferBytes;
    int id = POOLS.incrementAndGet();
    AtomicInteger started = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(1, maxThreads, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "carryon-read-" + id + "-" + started.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Whether another read may start now. */
  boolean hasRoom() {
    return inFlight.size() < Math.min(depth, AHEAD_PER_THREAD * pool.getCorePoolSize());
  }

  /**
   * Starts reading {@code lengths[i]} bytes at guest offset {@code guestOffsets[i]}, for each i,
   * into consecutive bytes of one buffer (at most the buffer size in all).
   */
  void submit(long[] guestOffsets, int[] lengths) {
    ByteBuffer b = free.isEmpty() ? ByteBuffer.allocateDirect(bufferBytes) : free.pop();
    inFlight.add(pool.submit(() -> {
      Buffers.first(b, bufferBytes);
      image.read(b, guestOffsets, lengths);
      return Buffers.flip(b);
    }));
  }

  /** The oldest read's buffer, ready to read; waits for it. Give it back with {@link #recycle}. */
  ByteBuffer next() throws IOException {
    Future<ByteBuffer> f = inFlight.pop();
    if (!f.isDone() && pool.getCorePoolSize() < maxThreads) {
      // The caller waits: reads are slower than it, so more of them at once may pay.
      pool.setCorePoolSize(pool.getCorePoolSize() + 1);
    }
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IOException(image.path() + ": read failed: " + cause, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(image.path() + ": interrupted while reading");
    }
  }

  /** Reading threads it has grown to. */
  int threads() {
    return pool.getCorePoolSize();
  }

  void recycle(ByteBuffer b) {
    free.push(b);
  }

  /**
   * Lets the reads in flight finish (never interrupted: an interrupted FileChannel closes itself)
   * and stops the threads.
   */
  @Override
  public void close() throws IOException {
    for (Future<ByteBuffer> f : inFlight) {
      f.cancel(false);
    }
    inFlight.clear();
    pool.shutdown();
    try {
      pool.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(image.path() + ": interrupted while reads finish");
    }
  }
}
