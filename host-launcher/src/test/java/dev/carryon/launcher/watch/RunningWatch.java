package dev.carryon.launcher.watch;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** A watch running on a thread of its own while a test feeds it events and reads what it says. */
public final class RunningWatch implements AutoCloseable {
  private final Watch watch;
  private final Thread thread;

  /** What {@link Watch#run} threw, if it did. */
  private final AtomicReference<Exception> failed = new AtomicReference<>();

  private RunningWatch(Watch watch) {
    this.watch = watch;
    this.thread =
        new Thread(
            () -> {
              try {
                watch.run();
              } catch (Exception e) {
                failed.set(e);
              }
            },
            "watch under test");
  }

  /** Runs {@code watch} until {@link #close}. */
  public static RunningWatch start(Watch watch) {
    RunningWatch w = new RunningWatch(watch);
    w.thread.start();
    return w;
  }

  /** Stops the watch and waits for it; fails when it does not stop or when it failed. */
  @Override
  public void close() throws Exception {
    watch.stop();
    thread.join(TimeUnit.MINUTES.toMillis(1));
    if (thread.isAlive()) {
      throw new AssertionError("the watch did not stop");
    }
    if (failed.get() != null) {
      throw failed.get();
    }
  }
}
