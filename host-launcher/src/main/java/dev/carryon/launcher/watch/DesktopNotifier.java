package dev.carryon.launcher.watch;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Desktop notifications through {@code notify-send} (libnotify-bin), when there is a desktop
 * session to show them: a D-Bus session bus ({@code DBUS_SESSION_BUS_ADDRESS}, or the user's
 * {@code $XDG_RUNTIME_DIR/bus} that a systemd user service sees). Sending never blocks the watch
 * and a failure never stops it: the first one is reported on stderr, later ones are not.
 */
public final class DesktopNotifier {
  /** What tells notify-send where the desktop is: the bus, the runtime folder, the display. */
  private static final List<String> DESKTOP_VARIABLES =
      List.of("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "DISPLAY", "WAYLAND_DISPLAY");

  /** notify-send's path. */
  private final Path notifySend;
  /** The {@link #DESKTOP_VARIABLES} of the environment the notifier was found in. */
  private final Map<String, String> desktop;
  /** Set once a failure was reported. */
  private volatile boolean failedOnce;

  private DesktopNotifier(Path notifySend, Map<String, String> desktop) {
    this.notifySend = notifySend;
    this.desktop = desktop;
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
        Map<String, String> desktop = new HashMap<>();
        for (String name : DESKTOP_VARIABLES) {
          if (notEmpty(env.get(name))) {
            desktop.put(name, env.get(name));
          }
        }
        return Optional.of(new DesktopNotifier(candidate, desktop));
      }
    }
    return Optional.empty();
  }

  private static boolean notEmpty(String s) {
    return s != null && !s.isEmpty();
  }

  /** Shows {@code n}; returns at once, with what becomes true once it was shown. */
  public CompletableFuture<Boolean> show(WatchEvent.Notification n) {
    Process p;
    try {
      ProcessBuilder pb =
          new ProcessBuilder(
                  notifySend.toString(), "--app-name=carryon", "--icon=drive-removable-media",
                  n.summary(), n.body())
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.PIPE);
      pb.environment().putAll(desktop);
      p = pb.start();
    } catch (IOException e) {
      failed(e.getMessage());
      return CompletableFuture.completedFuture(false);
    }
    return p.onExit()
        .thenApply(
            done -> {
              if (done.exitValue() == 0) {
                return true;
              }
              String err;
              try {
                err = new String(done.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
              } catch (IOException e) {
                err = "";
              }
              failed("notify-send exited with code " + done.exitValue() + (err.isEmpty() ? "" : ": " + err));
              return false;
            });
  }

  private void failed(String why) {
    if (!failedOnce) {
      failedOnce = true;
      System.err.println("carryon: desktop notifications fail (" + why + "); the watch goes on without them");
    }
  }
}
