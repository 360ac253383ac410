package dev.carryon.companion;

import dev.carryon.carrier.protocol.Tokens;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;

/**
 * The companion's core on a desktop JVM, for tests and for anyone without a phone: {@code java
 * -jar carryon-companion-jvm.jar --root DIR [--listen ADDR:PORT] --token-file FILE} serves the
 * carriers in DIR as the phone would, prints {@code serving DIR at http://ADDR:PORT/} once it
 * listens, and serves until interrupted (Ctrl-C, SIGTERM).
 */
public final class DesktopRunner {
  static final String USAGE =
      "usage: java -jar carryon-companion-jvm.jar --root DIR [--listen ADDR:PORT] --token-file FILE\n"
          + "  Serves every carrier folder in DIR at http://ADDR:PORT/NAME/ with the carrier protocol,\n"
          + "  as the phone's companion app does.\n"
          + "  --root DIR          the folder holding the carriers (created if absent)\n"
          + "  --listen ADDR:PORT  where to listen (default 127.0.0.1:0; port 0 picks a free one)\n"
          + "  --token-file FILE   the token clients must send; a fresh one is written there (mode\n"
          + "                      0600) when the file does not exist\n"
          + "Exit codes: 0 stopped, 1 failure, 2 bad command line, 3 bad token file.";

  private DesktopRunner() {}

  public static void main(String[] args) throws InterruptedException {
    CompanionServer server;
    try {
      server = start(args, System.out);
    } catch (UsageException e) {
      System.err.println("carryon-companion: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    } catch (Tokens.TokenFileException e) {
      System.err.println("carryon-companion: " + e.getMessage());
      System.exit(3);
      return;
    } catch (IOException e) {
      System.err.println("carryon-companion: " + e.getMessage());
      System.exit(1);
      return;
    }
    if (server == null) {
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.close();
                  } catch (IOException e) {
                    System.err.println("carryon-companion: stopping: " + e.getMessage());
                  }
                  stopped.countDown();
                }));
    stopped.await();
  }

  /** Parses {@code args} and starts serving; null after {@code --help}. */
  static CompanionServer start(String[] args, PrintStream out) throws IOException {
    String root = null;
    String listen = "127.0.0.1:0";
    String tokenFile = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        out.println(USAGE);
        return null;
      }
      if (!a.equals("--root") && !a.equals("--listen") && !a.equals("--token-file")) {
        throw new UsageException("unknown argument '" + a + "'");
      }
      if (i + 1 == args.length) {
        throw new UsageException(a + " needs a value");
      }
      String value = args[++i];
      if (a.equals("--root")) {
        root = value;
      } else if (a.equals("--listen")) {
        listen = value;
      } else {
        tokenFile = value;
      }
    }
    if (root == null) {
      throw new UsageException("--root DIR is required");
    }
    if (tokenFile == null) {
      throw new UsageException("--token-file FILE is required");
    }
    InetSocketAddress address = address(listen);
    String token = Tokens.readOrCreate(Paths.get(tokenFile));
    CompanionServer server = CompanionServer.start(Paths.get(root), token, address);
    out.println("serving " + root + " at " + server.url());
    out.flush();
    return server;
  }

  /** {@code ADDR:PORT} ({@code [V6ADDR]:PORT} for IPv6) as a socket address. */
  static InetSocketAddress address(String listen) throws UsageException {
    int colon = listen.lastIndexOf(':');
    if (colon <= 0) {
      throw new UsageException("--listen '" + listen + "' is not ADDR:PORT");
    }
    String host = listen.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new UsageException("--listen '" + listen + "': port is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new UsageException("--listen '" + listen + "': port must be 0 to 65535");
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new UsageException("--listen '" + listen + "': unknown address " + host);
    }
  }

  /** A command line that cannot be run. */
  static final class UsageException extends IOException {
    UsageException(String message) {
      super(message);
    }
  }
}
