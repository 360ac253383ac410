package dev.carryon.launcher.cli.sync;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a job, then sleeps, until a run limit is reached or the process is asked to stop (SIGINT,
 * SIGTERM). A stop never interrupts a run (an interrupted file channel closes mid-write): it ends
 * the sleep, lets the current run finish, and only then lets the JVM exit.
 */
final class Periodic {
  /** One run; returns its exit code. */
  interface Job {
    int run();
  }

  /** Longest a stop waits for the current run before the JVM exits anyway (a cut: harmless). */
  private static final Duration STOP_WAIT = Duration.ofMinutes(10);

  /** Time between the end of one run and the start of the next. */
  private final Duration every;

  /** Runs before stopping; 0 for no limit. */
  private final long maxRuns;

  /** Wakes the sleep when a stop is asked. */
  private final Object sleep = new Object();

  /** Counted down once the loop has ended. */
  private final CountDownLatch ended = new CountDownLatch(1);

  /** Set by a stop. */
  private volatile boolean stopped;

  Periodic(Duration every, long maxRuns) {
    this.every = every;
    this.maxRuns = maxRuns;
  }

  /**
   * Runs {@code job} until stopped or {@code maxRuns} runs are done; returns the last run's exit
   * code.
   */
  int loop(Job job) {
    Thread hook = new Thread(this::stopAndWait, "carryon-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    int last = 0;
    try {
      for (long runs = 1; !stopped; runs++) {
        last = job.run();
        if (maxRuns > 0 && runs >= maxRuns) {
          break;
        }
        sleep();
      }
      return last;
    } finally {
      ended.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down: the hook is running and now returns.
      }
    }
  }

  /** Ends the sleep and the loop after the current run. */
  void stop() {
    stopped = true;
    synchronized (sleep) {
      sleep.notifyAll();
    }
  }

  private void stopAndWait() {
    stop();
    try {
      ended.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void sleep() {
    long deadline = System.nanoTime() + every.toNanos();
    synchronized (sleep) {
      long left;
      while (!stopped && (left = deadline - System.nanoTime()) > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(sleep, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          stopped = true;
        }
      }
    }
  }
}
