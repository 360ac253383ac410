package dev.carryon.carrier.client;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;

/**
 * One line per request a client sends, appended to the file {@code CARRYON_HTTP_LOG} names (for
 * finding where a command's time goes over a link; {@code bench/remote} reads it): milliseconds
 * since this JVM started, the request's duration until its answer's head, its status, method,
 * path and what it carried. A command may add a line of its own between them ({@link #mark}): where
 * its steps begin and end, so that the requests can be read against them.
 */
public final class RequestLog {
  /** The environment variable naming the log file. */
  static final String VARIABLE = "CARRYON_HTTP_LOG";

  /** The log, or null when none is asked for. */
  private static final RequestLog INSTANCE = fromEnvironment();

  /** When this JVM started, the origin of every line's time. */
  private final Instant started;

  /** Appends to the file. */
  private final PrintWriter out;

  private RequestLog(Instant started, PrintWriter out) {
    this.started = started;
    this.out = out;
  }

  /** The log asked for by the environment, or null. */
  static RequestLog get() {
    return INSTANCE;
  }

  private static RequestLog fromEnvironment() {
    String file = System.getenv(VARIABLE);
    if (file == null || file.isEmpty()) {
      return null;
    }
    try {
      PrintWriter out =
          new PrintWriter(
              Files.newBufferedWriter(
                  Path.of(file),
                  StandardCharsets.UTF_8,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.APPEND),
              true);
      // Not ProcessHandle's start: Linux gives it from the boot time in whole seconds.
      Instant started =
          Instant.ofEpochMilli(java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime());
      return new RequestLog(started, out);
    } catch (IOException | RuntimeException e) {
      System.err.println("warning: " + VARIABLE + "=" + file + ": cannot write it: " + e.getMessage());
      return null;
    }
  }

  /**
   * Logs {@code what} happens now in this command (a step beginning or ending), among the requests;
   * nothing when no log is asked for.
   */
  public static void mark(String what) {
    RequestLog log = INSTANCE;
    if (log != null) {
      log.marked(Instant.now(), what);
    }
  }

  private synchronized void marked(Instant at, String what) {
    out.printf("%7d ms %8s -- %s%n", Duration.between(started, at).toMillis(), "", what);
  }

  /**
   * Logs a request sent at {@code sentNanos} and answered at {@code answeredNanos} ({@link
   * System#nanoTime}), which is {@code answeredAt}: taken before the log's own start-up.
   */
  synchronized void answered(
      long sentNanos, long answeredNanos, Instant answeredAt, int status, String method,
      String path, long bytes) {
    out.printf(
        "%7d ms %6.1f ms %3d %-6s %s%s%n",
        Duration.between(started, answeredAt).toMillis(), (answeredNanos - sentNanos) / 1e6,
        status, method, path, bytes >= 0 ? " " + bytes + " B" : "");
  }
}
