package dev.carryon.carrier.server;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@link ServeMain} in a child JVM: started, waited for, killed. */
public final class ServerProcess implements Closeable {
  /** The child. */
  private final Process process;

  /** Its URL. */
  private final URI uri;

  /** Its output. */
  private final Path log;

  private ServerProcess(Process process, URI uri, Path log) {
    this.process = process;
    this.uri = uri;
    this.log = log;
  }

  /** Serves {@code folder} with {@code token}; {@code env} adds to the child's environment. */
  public static ServerProcess start(Path folder, String token, Path log, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                ServeMain.class.getName(),
                folder.toString(),
                token)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("CARRYON_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      String out = Files.readString(log);
      int at = out.indexOf("http://");
      if (at >= 0 && out.indexOf('\n', at) > 0) {
        return new ServerProcess(p, URI.create(out.substring(at, out.indexOf('\n', at))), log);
      }
      if (!p.isAlive()) {
        throw new AssertionError("the server exited " + p.exitValue() + ":\n" + out);
      }
      Thread.sleep(20);
    }
    p.destroyForcibly();
    throw new AssertionError("the server did not start within 120 s:\n" + Files.readString(log));
  }

  public URI uri() {
    return uri;
  }

  /** Waits for the child to end by itself (a cut halts it); its exit code. */
  public int waitFor(long seconds) throws InterruptedException, IOException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new AssertionError("the server still runs after " + seconds + " s:\n" + Files.readString(log));
    }
    return process.exitValue();
  }

  /** Kills it at once, as a pulled plug. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
