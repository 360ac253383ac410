package dev.carryon.launcher.watch;

import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.Lease;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.host.SessionRecord;
import dev.carryon.launcher.host.SessionState;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.session.SessionKeeper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Whether a carrier may be unplugged now, and why: not while a command writes it (it holds the
 * carrier's lock), not while this host's QEMU reads the guest's disk from it (through the session
 * keeper until its hoard has every chunk on this host; for a session without a keeper, the
 * carrier's files among QEMU's open files), and only with a word of warning while this host's
 * session has work not yet on it.
 *
 * @param safe true when unplugging now loses nothing and breaks nothing running
 * @param why one sentence for the user
 */
public record UnplugAdvice(boolean safe, String why) {
  /** The advice for a carrier behind a URL: nothing of this host's to unplug. */
  public static final UnplugAdvice NOT_A_DRIVE =
      new UnplugAdvice(
          true, "not for URL carriers: the carrier is on a server, and this host reads its own"
              + " copies of its files");

  /**
   * The advice for the carrier in {@code folder} whose manifest names {@code carrierId} and {@code
   * lease}: this host's catalog is read only when the carrier is leased (and only if it exists:
   * nothing is created on a host that never ran a session).
   */
  public static UnplugAdvice of(Path folder, String carrierId, Lease lease) throws IOException {
    SessionRecord sessionHere = null;
    Optional<HostHome> home = lease == null ? Optional.empty() : HostHome.existing();
    if (home.isPresent() && Files.exists(home.get().catalogFile())) {
      try (Host host = Host.open(home.get())) {
        sessionHere = host.catalog().openSession(carrierId).orElse(null);
      }
    }
    return of(folder, sessionHere);
  }

  /**
   * The advice for the carrier in {@code folder}, given this host's open session on it (or null).
   */
  public static UnplugAdvice of(Path folder, SessionRecord sessionHere) throws IOException {
    Path real = folder.toRealPath();
    OptionalLong writer = LockHolders.of(real.resolve(FolderStorage.LOCK_FILE));
    if (writer.isPresent()) {
      return new UnplugAdvice(
          false, "a carryon command (pid " + writer.getAsLong() + ") is writing it: wait until it is done");
    }
    if (sessionHere == null) {
      return new UnplugAdvice(true, "no session of this host uses it");
    }
    String end = "carryon end " + folder;
    SessionState state = sessionHere.state();
    if (state == SessionState.STARTING) {
      return new UnplugAdvice(false, "session " + sessionHere.sessionId() + " is starting from it");
    }
    if (state == SessionState.SAVED) {
      return new UnplugAdvice(
          true,
          "nothing reads or writes it now, but session " + sessionHere.sessionId()
              + " is saved on this host and reaches the carrier only with: " + end);
    }
    long pid = sessionHere.qemuPid();
    if (pid <= 0 || !Files.isDirectory(Path.of("/proc", Long.toString(pid)))) {
      return new UnplugAdvice(
          true, "the QEMU of session " + sessionHere.sessionId() + " is gone; nothing reads it");
    }
    Optional<SessionKeeper.Seen> keeper = SessionKeeper.seen(sessionHere.workDir());
    if (keeper.isPresent()) {
      return ofKeeper(keeper.get(), sessionHere, end);
    }
    int open;
    try {
      open = filesUnder(pid, real);
    } catch (IOException e) {
      return new UnplugAdvice(
          false, "cannot tell whether QEMU (pid " + pid + ") reads it (" + e.getMessage()
              + "): end the session first: " + end);
    }
    if (open > 0) {
      return new UnplugAdvice(
          false,
          "the guest reads its disk from it (QEMU pid " + pid + " has " + open + " of its files"
              + " open): end the session first: " + end);
    }
    return new UnplugAdvice(
        true,
        "the guest runs from this host's copies; session " + sessionHere.sessionId()
            + " can end only with the carrier plugged in: " + end);
  }

  /**
   * The advice for a session whose disk the session keeper serves: safe once the hoard has every
   * chunk of the chain on this host.
   */
  private static UnplugAdvice ofKeeper(SessionKeeper.Seen keeper, SessionRecord session, String end) {
    if (keeper.alive() && keeper.hoard() != null && keeper.hoard().unpluggable()) {
      return new UnplugAdvice(
          true,
          "every chunk of the guest's disk is on this host (the session keeper hoarded them);"
              + " session " + session.sessionId() + " can end only with the carrier plugged in: "
              + end);
    }
    String left =
        keeper.hoard() == null
            ? "the hoard has not started"
            : String.format("%,d bytes are not on this host yet", keeper.hoard().remaining());
    return new UnplugAdvice(
        false,
        keeper.alive()
            ? "the guest reads its disk from it through the session keeper (pid " + keeper.pid()
                + "; " + left + "): wait until carryon status says it may go, or end the session"
                + " first: " + end
            : "the guest reads its disk from it, and its session keeper (pid " + keeper.pid()
                + ") is gone: end the session first: " + end);
  }

  /** How many of process {@code pid}'s open files lie under {@code folder} (a real path). */
  private static int filesUnder(long pid, Path folder) throws IOException {
    int n = 0;
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : fds) {
        Path target;
        try {
          target = Files.readSymbolicLink(fd);
        } catch (IOException e) {
          continue; // closed since the listing
        }
        if (target.startsWith(folder)) {
          n++;
        }
      }
    }
    return n;
  }
}
