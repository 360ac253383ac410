package dev.carryon.launcher.blocks;

import java.io.IOException;
import java.util.List;

/**
 * Fetches, in the background and at low priority, every chunk of a chain not yet on this host, so
 * that the carrier may be unplugged without stopping the guest once it is done. One chunk at a time
 * on a daemon thread at nice 19 and the idle I/O class ({@link LowPriority}), lowest image first (the base is what every generation
 * shares); the guest's own reads go on meanwhile through the same {@link VerifiedImage}s. A chunk
 * that cannot be read (the carrier unplugged, a server gone) is tried again after a pause, so
 * hoarding resumes when the carrier is back; one that fails its hash is reported by its image and
 * left out (the carrier cannot give it).
 */
public final class Hoard implements AutoCloseable {
  /** Pause after a chunk could not be read, before trying again. */
  static final long RETRY_MILLIS = 1000;

  /** The chain's images, base first. */
  private final List<VerifiedImage> images;

  /** Fetches until everything is here or the hoard is closed. */
  private final Thread thread;

  /** Bytes of the chain's chunks not yet on this host (or that failed their hash). */
  private volatile long remaining;

  /** Bytes of the whole chain. */
  private final long total;

  /** True once every chunk that can be had is on this host. */
  private volatile boolean done;

  /** Chunks that failed their hash: the carrier cannot give them, so they stay missing. */
  private volatile long bad;

  /**
   * Set by {@link #close}. A flag, not an interrupt: interrupting a thread in a file channel's
   * read closes the channel, which the carrier's storage shares with the guest's reads.
   */
  private volatile boolean stopped;

  /** Wakes the thread from its pause between retries when the hoard is closed. */
  private final Object pause = new Object();

  private Hoard(List<VerifiedImage> images) {
    this.images = List.copyOf(images);
    long sum = 0;
    for (VerifiedImage image : images) {
      sum += image.size();
    }
    this.total = sum;
    this.remaining = sum;
    this.thread = new Thread(this::run, "hoard");
    thread.setDaemon(true);
  }

  /** Starts hoarding {@code images} (the chain, base first). */
  public static Hoard start(List<VerifiedImage> images) {
    Hoard h = new Hoard(images);
    h.thread.start();
    return h;
  }

  /**
   * How far the hoard is.
   *
   * @param remaining bytes of the chain not yet on this host
   * @param total bytes of the whole chain
   * @param unpluggable true when every chunk is on this host: the guest no longer needs the carrier
   *     to run (until {@code end}, which writes to it)
   */
  public record Progress(long remaining, long total, boolean unpluggable) {}

  /** How far the hoard is now. */
  public Progress progress() {
    return new Progress(remaining, total, done && bad == 0);
  }

  /** Waits until the hoard has gone through every chunk, at most {@code millis}; true if it has. */
  public boolean await(long millis) throws InterruptedException {
    thread.join(millis);
    return !thread.isAlive();
  }

  /** Stops hoarding; chunks already fetched stay on this host. */
  @Override
  public void close() throws InterruptedException {
    stopped = true;
    synchronized (pause) {
      pause.notifyAll();
    }
    thread.join();
  }

  private void run() {
    System.out.println("carryon keeper: hoarding at low priority: " + LowPriority.ofThisThread());
    for (VerifiedImage image : images) {
      for (int i = 0; i < image.list().count(); i++) {
        if (!fetch(image, i)) {
          return;
        }
      }
    }
    done = true;
  }

  /** Fetches chunk {@code index} of {@code image}, retrying while unreadable; false once closed. */
  private boolean fetch(VerifiedImage image, int index) {
    while (!stopped) {
      try {
        if (!image.cached(index)) {
          image.chunk(index);
        }
        remaining -= image.list().lengthOf(index);
        return true;
      } catch (ChunkMismatchException e) {
        bad += image.list().lengthOf(index);
        return true;
      } catch (IOException e) {
        synchronized (pause) {
          try {
            if (!stopped) {
              pause.wait(RETRY_MILLIS);
            }
          } catch (InterruptedException stop) {
            return false;
          }
        }
      }
    }
    return false;
  }
}
