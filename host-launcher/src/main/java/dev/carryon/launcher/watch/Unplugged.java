package dev.carryon.launcher.watch;

import dev.carryon.launcher.host.SessionRecord;
import dev.carryon.launcher.host.SessionState;
import dev.carryon.launcher.session.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A session of this host whose carrier is not there any more (unplugged while the session ran):
 * {@code end} says so, or waits for the carrier to come back. Nothing of the session is touched
 * meanwhile: its guest runs on, or its saved state waits on this host.
 */
public final class Unplugged {
  /**
   * How often {@link #awaitReturn} also looks without a mount event: a carrier folder can come back
   * without a mount (moved back into place, a network file system).
   */
  private static final Duration LOOK_AGAIN = Duration.ofSeconds(5);

  private Unplugged() {}

  /**
   * This host's open session on the carrier that was at {@code carrier}, when no carrier is there
   * now; empty when one is (or when this host has no session there).
   */
  public static Optional<SessionRecord> sessionAwayFrom(Host host, Path carrier)
      throws IOException {
    Path folder = carrier.toAbsolutePath().normalize();
    if (Files.exists(folder.resolve(CarrierLook.MANIFEST))) {
      return Optional.empty();
    }
    for (SessionRecord s : host.catalog().sessions()) {
      if (s.state().isOpen() && s.carrier().equals(folder.toString())) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /** What to tell the user about {@code session}, whose carrier is not at {@code carrier}. */
  public static String describe(SessionRecord session, Path carrier) {
    String kept =
        session.state() == SessionState.SAVED
            ? "its saved guest waits on this host"
            : "its guest runs on";
    return carrier + " is not there (unplugged?): session " + session.sessionId()
        + " of this host is kept, " + kept + " and nothing is lost. Plug the carrier back in at "
        + carrier + " and run carryon end " + carrier + " again (with --wait, end waits for it)";
  }

  /** Waits until a carrier is at {@code carrier} again, woken by mount events. */
  public static void awaitReturn(Path carrier) throws IOException, InterruptedException {
    Path manifest = carrier.toAbsolutePath().normalize().resolve(CarrierLook.MANIFEST);
    Semaphore changed = new Semaphore(0);
    try (MountEvents events = MountEvents.start(changed::release, stopped -> changed.release())) {
      while (!Files.exists(manifest)) {
        changed.tryAcquire(LOOK_AGAIN.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }
}
