package dev.carryon.launcher.watch;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Desktop notifications through {@code notify-send} (libnotify-bin), when there is a desktop
 * session to show them: a D-Bus session bus ({@code DBUS_SESSION_BUS_ADDRESS}, or the user's
 * {@code $XDG_RUNTIME_DIR/bus} that a systemd user service sees). Sending never blocks the watch
 * and a failure never stops it: the first one is reported on stderr, later ones are not.
 */
public final class DesktopNotifier {
  /** notify-send's path. */
  private final Path notifySend;
  /** Set once a failure was reported. */
  private volatile boolean failedOnce;

  private DesktopNotifier(Path notifySend) {
    this.notifySend = notifySend;
  }

  /** A notifier for this session, or empty when there is no desktop or no notify-send. */
  public static Optional<DesktopNotifier> find(Map<String, String> env) {
    boolean bus =
        notEmpty(env.get("DBUS_SESSION_BUS_ADDRESS"))
            || (notEmpty(env.get("XDG_RUNTIME_DIR"))
                && Files.exists(Path.of(env.get("XDG_RUNTIME_DIR"), "bus")));
    if (!bus) {
      return Optional.empty();
    }
    String path = env.getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "notify-send");
      if (Files.isExecutable(candidate)) {
        return Optional.of(new DesktopNotifier(candidate));
      }
    }
    return Optional.empty();
  }

  private static boolean notEmpty(String s) {
    return s != null && !s.isEmpty();
  }

  /** Shows {@code n}; returns at once. */
  public void show(WatchEvent.Notification n) {
    try {
      Process p =
          new ProcessBuilder(
                  notifySend.toString(), "--app-name=carryon", "--icon=drive-removable-media",
                  n.summary(), n.body())
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.PIPE)
              .start();
      p.onExit().thenAccept(done -> {
        if (done.exitValue() != 0) {
          String err;
          try {
            err = new String(done.getErrorStream().readAllBytes()).strip();
          } catch (IOException e) {
            err = "";
          }
          failed("notify-send exited with code " + done.exitValue() + (err.isEmpty() ? "" : ": " + err));
        }
      });
    } catch (IOException e) {
      failed(e.getMessage());
    }
  }

  private void failed(String why) {
    if (!failedOnce) {
      failedOnce = true;
      System.err.println("carryon: desktop notifications fail (" + why + "); the watch goes on without them");
    }
  }
}
