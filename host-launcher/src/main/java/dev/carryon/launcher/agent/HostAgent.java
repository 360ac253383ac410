package dev.carryon.launcher.agent;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's loop: listens on a free loopback port named in the {@link AgentFile}, reads one
 * request at a time, declines what it cannot run as the script would (another working folder or
 * environment, a command the {@link Runner} does not take), runs the rest. It stops once idle for
 * the given time, when its agent file is gone or replaced (another agent started, or {@code
 * carryon agent --stop}), when the host's carryon folder is, or when the runner says so.
 */
public final class HostAgent {
  /** How often an idle agent looks at its file and folder. */
  private static final int LOOK_MILLIS = 1000;

  /** Longest a connected script may take to send its request. */
  private static final int REQUEST_MILLIS = 10_000;

  /** What the agent runs; the CLI's commands. */
  public interface Runner {
    /** Why {@code args} are not for the agent (the script runs them itself), or empty. */
    Optional<String> declines(List<String> args);

    /** Runs {@code request}, its output and questions through {@code link}; its exit code. */
    int run(AgentRequest request, ClientLink link);

    /**
     * Called between requests (at the start, after each, and every second with none): time to get
     * ready for the next; returns why the agent should stop instead, or empty.
     */
    Optional<String> between();

    /** Called once when the agent stops. */
    void stopping();
  }

  private HostAgent() {}

  /**
   * Serves from {@code home} until idle for {@code idleExit} or told to stop; {@code log} says what
   * it did with each request. Returns normally when it stops.
   */
  public static void serve(Path home, Duration idleExit, Runner runner, PrintWriter log)
      throws IOException {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    String cwd = Path.of("").toAbsolutePath().toString();
    Map<String, String> environment = System.getenv();
    try (ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
      AgentFile file =
          new AgentFile(ProcessHandle.current().pid(), server.getLocalPort(), HexFormat.of().formatHex(secret));
      file.write(home);
      log.printf("carryon agent: serving %s on port %d (pid %d)%n", home, file.port(), file.pid());
      log.flush();
      Thread hook = new Thread(() -> {
        runner.stopping();
        file.removeFrom(home);
      }, "agent-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        server.setSoTimeout(LOOK_MILLIS);
        long idleSince = System.nanoTime();
        while (true) {
          // First: what the runner readies lives in the home, which must not be made again.
          if (!Files.isDirectory(home) || !AgentFile.read(home).equals(Optional.of(file))) {
            log.println("carryon agent: its file " + home.resolve(AgentFile.NAME) + " is gone or another's; stopping");
            break;
          }
          Optional<String> stop = runner.between();
          if (stop.isPresent()) {
            log.println("carryon agent: " + stop.get() + "; stopping");
            break;
          }
          if (System.nanoTime() - idleSince > idleExit.toNanos()) {
            log.println("carryon agent: idle for " + idleExit.toMinutes() + " min; stopping");
            break;
          }
          try (Socket client = server.accept()) {
            answer(client, file.token(), cwd, environment, runner, log);
          } catch (SocketTimeoutException idle) {
            continue;
          }
          idleSince = System.nanoTime();
        }
      } finally {
        Runtime.getRuntime().removeShutdownHook(hook);
        runner.stopping();
        file.removeFrom(home);
        log.flush();
      }
    }
  }

  private static void answer(
      Socket client, String token, String cwd, Map<String, String> environment, Runner runner,
      PrintWriter log) {
    try {
      client.setSoTimeout(REQUEST_MILLIS);
      // One buffer for the request and the answers after it: the request is read a byte at a time.
      InputStream in = new BufferedInputStream(client.getInputStream());
      ClientLink link = new ClientLink(client.getOutputStream(), in);
      AgentRequest request;
      try {
        request = AgentRequest.read(in, token);
      } catch (IOException e) {
        log.println("carryon agent: refused a request: " + e.getMessage());
        link.decline(e.getMessage());
        return;
      }
      Optional<String> declined = whyNot(request, cwd, environment, runner);
      if (declined.isPresent()) {
        log.println("carryon agent: declined " + request.args() + ": " + declined.get());
        link.decline(declined.get());
        return;
      }
      if (!link.run()) { // within REQUEST_MILLIS, as the request
        log.println("carryon agent: the script of " + request.args() + " stopped waiting and ran it itself");
        return;
      }
      client.setSoTimeout(0); // a passphrase is typed at a person's pace
      int code = runner.run(request, link);
      log.println("carryon agent: ran " + request.args() + ": exit " + code);
      link.exit(code);
    } catch (IOException e) {
      log.println("carryon agent: lost a connection: " + e.getMessage());
    } finally {
      log.flush();
    }
  }

  /** Why {@code request} is not run here, or empty. */
  static Optional<String> whyNot(
      AgentRequest request, String cwd, Map<String, String> environment, Runner runner) {
    if (!request.cwd().equals(cwd)) {
      return Optional.of("it runs in " + cwd + ", the command in " + request.cwd());
    }
    List<String> differ = request.differences(environment);
    if (!differ.isEmpty()) {
      return Optional.of("the command's environment differs from the agent's in " + differ);
    }
    return runner.declines(request.args());
  }
}
