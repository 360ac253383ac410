package dev.carryon.launcher.session;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A part of a command run on a thread of its own beside the rest: in {@code end} the layer's upload
 * beside the state's and the state's beside QEMU's save, which write the carrier under the end's
 * lock and so are always waited for ({@link #await}), even by an interrupted thread, before that
 * lock is released; in {@code resume} the keeper's launch and the accelerator's choice, which an
 * interrupt stops waiting for ({@link #get}).
 */
final class Background<T> {
  private final FutureTask<T> task;
  /** The thread's name, for messages. */
  private final String name;

  private Background(FutureTask<T> task, String name) {
    this.task = task;
    this.name = name;
  }

  /** Starts {@code work} on a daemon thread named {@code name}. */
  static <T> Background<T> start(String name, Callable<T> work) {
    FutureTask<T> task = new FutureTask<>(work);
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    t.start();
    return new Background<>(task, name);
  }

  /** Work already done: {@code value}. */
  static <T> Background<T> done(String name, T value) {
    FutureTask<T> task = new FutureTask<>(() -> value);
    task.run();
    return new Background<>(task, name);
  }

  /** Waits for the work, even when interrupted; its result, or its failure as this thread's. */
  T await() throws IOException {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return task.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          throw unwrapped(e);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Waits for the work until interrupted; its result, or its failure as this thread's. */
  T get() throws IOException {
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for " + name);
    } catch (ExecutionException e) {
      throw unwrapped(e);
    }
  }

  /** The work's failure, rethrown as it was where it can be. */
  private static IOException unwrapped(ExecutionException e) {
    Throwable cause = e.getCause();
    if (cause instanceof IOException io) {
      return io;
    }
    if (cause instanceof RuntimeException r) {
      throw r;
    }
    if (cause instanceof Error err) {
      throw err;
    }
    return new IOException(cause.toString(), cause);
  }
}
