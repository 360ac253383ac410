package dev.carryon.launcher.session;

import dev.carryon.launcher.host.Folders;
import dev.carryon.launcher.host.HostHome;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * A session keeper started ahead of any resume, by a process that resumes sessions in its own JVM
 * (the host agent, {@code watch --auto-resume}): its JVM has started and waits
 * for {@value SessionKeeper#SPEC} in a fresh session folder, so the next resume on this host takes
 * it ({@link ResumeSession.Head}) instead of waiting for a JVM's start, the longest wait of a
 * resume. It is still a process of its own, as every keeper is: one session's carrier trouble
 * stays its own, and the agent may stop without stopping a session. It opens the carrier the spec
 * names; it stops by itself when the process that started it exits.
 */
public final class StandbyKeeper {
  /**
   * How long after a resume the next keeper is started ahead: not while the resumed guest, just
   * restored, needs the CPU.
   */
  public static final Duration SETTLE = Duration.ofSeconds(2);

  /** The one ready, or null; with the home it is for. */
  private static SessionKeeper.Launched ready;

  private static HostHome readyFor;

  private StandbyKeeper() {}

  /** Starts a keeper ahead, for the next resume in {@code home}, unless one is ready. */
  public static synchronized void prepare(HostHome home) throws IOException {
    if (ready != null && ready.process().isAlive() && home.root().equals(readyFor.root())) {
      return;
    }
    discard();
    ready = SessionKeeper.launch(home.sessionDir(UUID.randomUUID().toString()), List.of());
    readyFor = home;
  }

  /** The keeper started ahead for {@code home}, now the caller's; null when there is none. */
  static synchronized SessionKeeper.Launched take(HostHome home) {
    SessionKeeper.Launched taken = ready;
    if (taken == null || !home.root().equals(readyFor.root())) {
      return null;
    }
    ready = null;
    if (!taken.process().isAlive()) {
      forget(taken);
      return null;
    }
    return taken;
  }

  /** Stops the keeper started ahead, if any, and removes its folder. */
  public static synchronized void discard() {
    if (ready != null) {
      SessionKeeper.cancel(ready);
      forget(ready);
      ready = null;
    }
  }

  /** Removes the folder of a keeper that served nothing. */
  private static void forget(SessionKeeper.Launched k) {
    try {
      Folders.deleteTree(k.workDir());
    } catch (IOException e) {
      // Left behind: a session folder with a keeper's log, which nothing reads.
    }
  }
}
