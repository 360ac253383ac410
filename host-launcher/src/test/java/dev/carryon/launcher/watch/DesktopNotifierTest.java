package dev.carryon.launcher.watch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.session.SessionKit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Notifications reach a real desktop: an X server (Xvfb), a D-Bus session bus (dbus-daemon) and a
 * notification daemon (dunst) started here; the notification is read back from dunst's history.
 */
class DesktopNotifierTest {
  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void stopDesktop() throws InterruptedException {
    for (Process p : started) {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private Process start(Map<String, String> env, String... command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(dir.resolve(Path.of(command[0]).getFileName() + ".err").toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    started.add(p);
    return p;
  }

  private static String firstLine(Process p) throws IOException {
    String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    assertTrue(line != null && !line.isBlank(), "no output from " + p.info().commandLine().orElse("?"));
    return line.strip();
  }

  @Test
  void aNotificationReachesTheDesktop() throws Exception {
    Process x = start(Map.of(), "Xvfb", "-displayfd", "1", "-nolisten", "tcp");
    String display = ":" + firstLine(x);
    Process bus = start(Map.of(), "dbus-daemon", "--session", "--nofork", "--print-address");
    Map<String, String> desktop = new HashMap<>();
    desktop.put("DISPLAY", display);
    desktop.put("DBUS_SESSION_BUS_ADDRESS", firstLine(bus));
    start(desktop, "dunst");
    List<String> dunstctl = new ArrayList<>(List.of("env", "DBUS_SESSION_BUS_ADDRESS=" + desktop.get("DBUS_SESSION_BUS_ADDRESS"), "dunstctl"));
    awaitDunst(dunstctl);

    Map<String, String> env = new HashMap<>(desktop);
    env.put("PATH", System.getenv("PATH"));
    DesktopNotifier notifier = DesktopNotifier.find(env).orElseThrow();
    assertTrue(notifier.show(new WatchEvent.Notification("carryon: carrier plugged in", "attached /media/usb/carrier")).get(1, TimeUnit.MINUTES));
    dunstctl.add("close-all");
    SessionKit.tool(dunstctl, 0);
    dunstctl.set(dunstctl.size() - 1, "history");
    String history = SessionKit.tool(dunstctl, 0);
    assertTrue(history.contains("carryon: carrier plugged in") && history.contains("attached /media/usb/carrier"), history);
  }

  @Test
  void noDesktopNoNotifier() {
    assertTrue(DesktopNotifier.find(Map.of("PATH", System.getenv("PATH"))).isEmpty());
  }

  private static void awaitDunst(List<String> dunstctl) throws Exception {
    List<String> ask = new ArrayList<>(dunstctl);
    ask.add("is-paused");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (new ProcessBuilder(ask).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() != 0) {
      assertTrue(System.nanoTime() < deadline, "dunst did not come up on the session bus");
      Thread.sleep(100);
    }
  }
}
