package dev.carryon.testdata;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs one of testdata's build scripts, showing its progress and quoting its end on failure. */
final class BuildScript {
  /** Lines of the script's output quoted when it fails. */
  private static final int QUOTED_LINES = 20;

  private BuildScript() {}

  /**
   * Runs {@code command}, its output copied to this JVM's stderr.
   *
   * @throws IllegalStateException when it fails or takes longer than {@code timeoutMinutes}, with
   *     its exit code and last output lines
   */
  static void run(List<String> command, long timeoutMinutes) {
    Deque<String> tail = new ArrayDeque<>();
    int exit;
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      Thread pump = new Thread(() -> echo(p, tail), "build script output");
      pump.setDaemon(true);
      pump.start();
      if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
        p.destroyForcibly().waitFor();
        throw new IllegalStateException(
            String.join(" ", command) + " did not finish within " + timeoutMinutes
                + " min; last output:\n  " + lastLines(tail));
      }
      pump.join();
      exit = p.exitValue();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command.get(1), e);
    }
    if (exit != 0) {
      throw new IllegalStateException(
          String.join(" ", command) + " failed with exit code " + exit + "; last output:\n  "
              + lastLines(tail));
    }
  }

  /** Copies the script's output to our stderr (progress) and keeps its end for error messages. */
  private static void echo(Process p, Deque<String> tail) {
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        System.err.println(line);
        synchronized (tail) {
          tail.addLast(line);
          if (tail.size() > QUOTED_LINES) {
            tail.removeFirst();
          }
        }
      }
    } catch (IOException e) {
      // The process was killed; what was read so far is what the error message quotes.
    }
  }

  private static String lastLines(Deque<String> tail) {
    synchronized (tail) {
      return String.join("\n  ", tail);
    }
  }
}
