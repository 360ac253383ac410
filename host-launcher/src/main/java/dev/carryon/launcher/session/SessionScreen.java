package dev.carryon.launcher.session;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Generation;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.host.SessionRecord;
import dev.carryon.launcher.host.SessionState;
import dev.carryon.launcher.qemu.QemuProcess;
import dev.carryon.launcher.qemu.Screens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * {@code screenshot}: a carrier's screen as a PNG: the running session's, when this host runs it
 * (QMP {@code screendump}), else the small picture kept with the current generation.
 */
public final class SessionScreen {
  private SessionScreen() {}

  /**
   * Writes the screen of {@code carrierPath}'s session to {@code png}.
   *
   * @return what was written, for people
   * @throws CarryonException with {@link ExitCodes#REFUSED} when there is no screen to show
   */
  public static String take(Host host, Path carrierPath, Path png) throws IOException {
    Generation current;
    Path kept;
    Optional<SessionRecord> session;
    boolean hasScreen;
    try (Carrier carrier = Carrier.open(carrierPath)) {
      current = carrier.current();
      kept = current.screenshot() == null ? null : carrier.file(current.screenshot());
      session = host.catalog.openSession(carrier.manifest().carrierId().toString());
      hasScreen =
          carrier.manifest().vmOf(current).devices().stream().anyMatch(d -> d.type().isDisplay());
    }
    if (!hasScreen) {
      throw new CarryonException(
          ExitCodes.REFUSED, "the VM of " + carrierPath + " has no display adapter: no screen");
    }
    if (session.isPresent() && session.get().state() == SessionState.RUNNING) {
      SessionRecord s = session.get();
      QemuProcess qemu = QemuProcess.attach(null, s.qemuPid(), s.qemuDir());
      try {
        Screens.dump(qemu, png.toAbsolutePath());
      } finally {
        qemu.qmp().close(); // only the connection: the session runs on
      }
      return "the screen of session " + s.sessionId() + " as it is now";
    }
    if (kept == null) {
      throw new CarryonException(
          ExitCodes.REFUSED,
          "no session of " + carrierPath + " runs on this host and generation " + current.number()
              + " kept no picture of its screen");
    }
    Files.copy(kept, png, StandardCopyOption.REPLACE_EXISTING);
    return "the screen as generation " + current.number() + " was saved (small)";
  }
}
