package dev.carryon.launcher.watch;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Mount and unmount events, heard from {@code findmnt --poll} (util-linux): it waits in poll(2) on
 * {@code /proc/self/mountinfo}, which the kernel wakes on every change of the mount table, and
 * prints one line per change. Nothing here polls on a timer; each line only says "the table
 * changed" and the caller reads {@link MountTable} again, so a line lost or merged loses nothing.
 *
 * <p>If this JVM is killed without closing, the orphaned {@code findmnt} exits at the next mount
 * change, when its write to the closed pipe fails.
 */
final class MountEvents implements AutoCloseable {
  /** The {@code findmnt} process. */
  private final Process findmnt;
  /** Reads its lines and calls the listener. */
  private final Thread reader;
  /** Set by {@link #close}: the end of {@code findmnt}'s output is then expected. */
  private volatile boolean closed;

  private MountEvents(Process findmnt, Runnable onChange, Consumer<String> onFailure) {
    this.findmnt = findmnt;
    this.reader = new Thread(() -> read(onChange, onFailure), "carryon-mount-events");
    reader.setDaemon(true);
  }

  /**
   * Starts listening: {@code onChange} runs (on a thread of its own) after every change of the
   * mount table; {@code onFailure} runs once with a message if {@code findmnt} stops by itself.
   *
   * @throws IOException when {@code findmnt} cannot be started (the message says so)
   */
  static MountEvents start(Runnable onChange, Consumer<String> onFailure) throws IOException {
    Path findmnt = locate();
    Process p =
        new ProcessBuilder(findmnt.toString(), "--poll", "--noheadings", "--raw", "--output", "ACTION,TARGET")
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectError(ProcessBuilder.Redirect.PIPE)
            .start();
    MountEvents events = new MountEvents(p, onChange, onFailure);
    events.reader.start();
    return events;
  }

  private static Path locate() throws IOException {
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "findmnt");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new HostLacksException(
        "findmnt (from util-linux) is not on PATH: carryon watch hears mount events through"
            + " findmnt --poll");
  }

  private void read(Runnable onChange, Consumer<String> onFailure) {
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(findmnt.getInputStream(), StandardCharsets.UTF_8))) {
      while (lines.readLine() != null) {
        onChange.run();
      }
    } catch (IOException e) {
      // The pipe closes when close() ends findmnt; anything else is reported below.
    }
    if (!closed) {
      onFailure.accept("findmnt --poll stopped" + exitOf());
    }
  }

  private String exitOf() {
    try {
      int code = findmnt.waitFor();
      List<String> err =
          new String(findmnt.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
      return " (exit code " + code + (err.isEmpty() ? "" : ": " + String.join("; ", err)) + ")";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  @Override
  public void close() {
    closed = true;
    findmnt.destroy();
    try {
      findmnt.waitFor();
      reader.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
