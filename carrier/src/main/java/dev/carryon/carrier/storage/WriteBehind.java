package dev.carryon.carrier.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A head start for the force that will make a file durable: while a large file is still being
 * written (a RAM state arriving in pieces over a link, a copy onto a USB drive), what of it has been
 * written is flushed to the medium on a thread of its own, so that the force a commit waits for
 * finds only the last piece left to write (a 41 MB state: some 90 ms of the commit's force, done
 * while the link still carries the rest). It promises nothing: durability is still only what a
 * caller's own force gives, and a file gone or renamed meanwhile is skipped.
 */
final class WriteBehind {
  /** Bytes written to a file between two flushes started. */
  static final long EVERY = 4L << 20;

  /** Files with a flush queued and not yet begun: one queued flush covers all writes before it. */
  private static final Set<Path> QUEUED = ConcurrentHashMap.newKeySet();

  private static final ExecutorService FLUSHER =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "carryon-write-behind");
            t.setDaemon(true);
            return t;
          });

  private WriteBehind() {}

  /** Waits until the flushes started so far have run (for a test). */
  static void awaitFlushes() throws InterruptedException, ExecutionException {
    FLUSHER.submit(() -> {}).get();
  }

  /** Starts flushing what has been written to {@code file} so far, unless a flush is queued. */
  static void flush(Path file) {
    if (QUEUED.add(file)) {
      FLUSHER.execute(
          () -> {
            QUEUED.remove(file); // writes from now on need a flush of their own
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
              ch.force(false);
            } catch (IOException e) {
              // Deleted, renamed or unwritable meanwhile: the caller's force says what matters.
            }
          });
    }
  }
}
