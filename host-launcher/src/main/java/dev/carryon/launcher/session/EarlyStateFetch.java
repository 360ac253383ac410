package dev.carryon.launcher.session;

import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.Manifest;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.ReadAhead;
import java.io.IOException;

/**
 * The RAM state a resume will restore, fetched from the moment the carrier's manifest is parsed,
 * before the open looks for the files the manifest names ({@link
 * dev.carryon.carrier.Carrier#openUnproven(CarrierStorage, java.util.function.Consumer)}): over a
 * link those listings are a request per folder, which the state, the longest transfer of a resume,
 * need not wait for. Only a guess until the check has chosen the generation: {@link #take} hands
 * it over when it is that generation's state as recorded, and drops it otherwise.
 */
final class EarlyStateFetch {
  private final CarrierStorage storage;
  /** False when the manifest alone cannot tell: a cold boot, or a generation chosen by time. */
  private final boolean guessable;
  /** The generation the request asks for, or null for the current one. */
  private final Long checkpoint;
  private final long limit;
  private ReadAhead fetch;
  private String name;
  private FileRecord record;

  private EarlyStateFetch(CarrierStorage storage, boolean guessable, Long checkpoint, long limit) {
    this.storage = storage;
    this.guessable = guessable;
    this.checkpoint = checkpoint;
    this.limit = limit;
  }

  /** For {@code request}: what it will restore, read ahead up to {@code limit} bytes. */
  static EarlyStateFetch of(ResumeSession.Request request, long limit) {
    return new EarlyStateFetch(
        request.carrier(),
        !request.coldBoot() && request.checkpointAt() == null,
        request.checkpoint(),
        limit);
  }

  /** Starts fetching the state {@code parsed} records for the generation asked for. */
  void start(Manifest parsed) {
    close();
    if (!guessable) {
      return;
    }
    Generation g =
        checkpoint == null ? parsed.current() : parsed.generation(checkpoint).orElse(null);
    if (g == null || g.coldBoot() || !parsed.files().containsKey(g.state())) {
      return; // the check names what is wrong
    }
    try {
      fetch = ReadAhead.start(storage.openRead(g.state(), 0), g.state(), limit);
    } catch (IOException e) {
      return; // the check's own open of it names the problem
    }
    name = g.state();
    record = parsed.files().get(g.state());
  }

  /**
   * The fetch of {@code state} as {@code recorded}, now the caller's to close; null when what was
   * fetched is not that (none was started, or of another state or version), which is then dropped.
   */
  ReadAhead take(String state, FileRecord recorded) {
    if (fetch != null && state.equals(name) && recorded.equals(record)) {
      ReadAhead taken = fetch;
      fetch = null;
      return taken;
    }
    close();
    return null;
  }

  /** Drops a fetch not taken. */
  void close() {
    if (fetch != null) {
      try {
        fetch.close();
      } catch (IOException e) {
        // only a read ahead: nothing of it was used
      }
      fetch = null;
    }
  }
}
