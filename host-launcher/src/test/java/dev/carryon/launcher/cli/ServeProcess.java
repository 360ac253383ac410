package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.fail;

import dev.carryon.launcher.session.SessionKit;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code carryon serve} in a child JVM, started with the test's class path, stopped with
 * SIGTERM as a user's Ctrl-C would.
 */
public final class ServeProcess implements Closeable {
  /** How long the server may take to say it is ready (the machine is shared and often busy). */
  private static final long READY_SECONDS = 120;

  /** The child. */
  private final Process process;

  /** Its standard output. */
  private final Path out;

  /** Its standard error. */
  private final Path err;

  /** The URL it printed. */
  private final URI uri;

  private ServeProcess(Process process, Path out, Path err, URI uri) {
    this.process = process;
    this.out = out;
    this.err = err;
    this.uri = uri;
  }

  /** Starts {@code carryon serve args...} in {@code work} and waits for its "serving" line. */
  public static ServeProcess start(Path work, String... args) throws IOException, InterruptedException {
    Files.createDirectories(work);
    Path out = Files.createTempFile(work, "serve", ".out");
    Path err = Files.createTempFile(work, "serve", ".err");
    List<String> command = new ArrayList<>(List.of("serve"));
    command.addAll(List.of(args));
    Process p =
        new SessionKit.TestHost(work.resolve("home"), "server")
            .start(Map.of(), out, err, command.toArray(new String[0]));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
    while (System.nanoTime() < deadline) {
      String text = Files.readString(out);
      int at = text.indexOf(" at http");
      if (text.startsWith("serving ") && at > 0 && text.endsWith("\n")) {
        return new ServeProcess(p, out, err, URI.create(text.substring(at + 4).trim()));
      }
      if (!p.isAlive()) {
        fail("carryon serve exited " + p.exitValue() + ": " + Files.readString(err));
      }
      Thread.sleep(50);
    }
    p.destroyForcibly();
    throw new AssertionError("carryon serve did not say it was ready within " + READY_SECONDS + " s");
  }

  public URI uri() {
    return uri;
  }

  /** Everything it printed on standard output so far. */
  String out() throws IOException {
    return Files.readString(out);
  }

  /** Everything it printed on standard error so far. */
  String err() throws IOException {
    return Files.readString(err);
  }

  /** Sends SIGTERM and returns the exit code. */
  public int stop() throws IOException, InterruptedException {
    if (process.isAlive()) {
      new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor();
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      fail("carryon serve did not stop within 60 s of SIGTERM");
    }
    return process.exitValue();
  }

  @Override
  public void close() throws IOException {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
