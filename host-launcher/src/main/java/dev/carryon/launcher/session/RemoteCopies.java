package dev.carryon.launcher.session;

import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.LocalCopies;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.cli.ProgressBar;
import dev.carryon.launcher.host.HostCache;
import dev.carryon.launcher.host.Pins;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * The local copies one resume runs from: this host's {@link HostCache}, opened only when a file is
 * asked for (a remote carrier's files, and every carrier's kernel and initrd), with the files
 * pinned for the session while this process runs: until QEMU has opened them (detached) or the
 * session ends. Once QEMU holds them open an eviction only takes their names, not what QEMU reads.
 * Counts the bytes it fetched.
 */
final class RemoteCopies implements LocalCopies {
  /** The host, whose cache this is. */
  private final Host host;

  /** Bytes the cache keeps to, or -1 for its default. */
  private final long limit;

  /** The session the copies are pinned for. */
  private final String session;

  /** Where the fetch bars are drawn. */
  private final PrintWriter log;

  /** The cache, once opened. */
  private HostCache cache;

  /** The session's pin in the cache, once opened. */
  private Pins.Pin pin;

  /** Bytes fetched so far (not those the cache already held). */
  private long fetched;

  RemoteCopies(Host host, long limit, String session, PrintWriter log) {
    this.host = host;
    this.limit = limit;
    this.session = session;
    this.log = log;
  }

  @Override
  public Path copyOf(CarrierStorage storage, String name, FileRecord record, Progress progress)
      throws IOException {
    ProgressBar bar = ProgressBar.on(log, "fetching " + name);
    long[] first = {-1};
    long[] last = {0};
    Path copy =
        cache()
            .copyOf(
                storage,
                name,
                record,
                (done, total) -> {
                  if (first[0] < 0) {
                    first[0] = done; // what a cut fetch had left
                  }
                  last[0] = done;
                  bar.update(done, total);
                  progress.advanced(done, total);
                },
                pin);
    bar.finish();
    if (first[0] >= 0) {
      fetched += last[0] - first[0];
    }
    return copy;
  }

  /** Bytes fetched from carriers so far. */
  long fetched() {
    return fetched;
  }

  /** Unpins the session's files, for a resume that did not start. */
  void release() {
    if (cache == null) {
      return;
    }
    try {
      pin.close();
    } catch (IOException e) {
      log.println("warning: could not unpin session " + session + "'s cached files: " + e.getMessage());
    }
  }

  private HostCache cache() throws IOException {
    if (cache == null) {
      Path folder = host.home.cache();
      cache = HostCache.open(folder, limit > 0 ? limit : HostCache.defaultLimit(folder));
      pin = cache.pin(session);
    }
    return cache;
  }
}
