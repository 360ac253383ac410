package dev.carryon.launcher.cli;

import dev.carryon.carrier.protocol.CarrierRoot;
import dev.carryon.carrier.protocol.Tokens;
import dev.carryon.carrier.server.CarrierServer;
import dev.carryon.launcher.host.HostHome;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code carryon serve}: a carrier folder served over HTTP with the carrier protocol. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve a carrier folder over HTTP, to carryon commands on other hosts.",
      "They name it by its URL, http://ADDR:PORT/ (protocol: carrier/PROTOCOL.md).",
      "Prints 'serving CARRIER at http://ADDR:PORT/' when ready; stops on Ctrl-C",
      "or SIGTERM. Every request must carry the token of the token file. A browser",
      "at http://ADDR:PORT/?token=TOKEN sees the generations, lease, sizes, growth."
    })
final class ServeCommand implements Callable<Integer> {
  /** Where the server listens unless told. */
  static final String DEFAULT_LISTEN = "127.0.0.1:8417";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "CARRIER",
      description = "The carrier folder (it may be empty: `carryon init URL` then makes a carrier in it).")
  Path carrier;

  @Option(
      names = "--listen",
      paramLabel = "ADDR:PORT",
      description = "Address and port to listen on (default " + DEFAULT_LISTEN + "; port 0 picks a free one;"
          + " only loopback unless you name another address).")
  String listen = DEFAULT_LISTEN;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "The file holding the token (default $CARRYON_HOME/serve.token); made with a fresh"
          + " random token, readable by you only, when it does not exist.")
  Path tokenFile;

  @Option(
      names = "--many",
      description = "CARRIER is a folder of carriers: serve each at http://ADDR:PORT/NAME/.")
  boolean many;

  @Option(
      names = "--tls-keystore",
      paramLabel = "FILE",
      description = "Serve HTTPS with the key and certificate in this PKCS12 file.")
  Path tlsKeyStore;

  @Option(
      names = "--tls-password-file",
      paramLabel = "FILE",
      description = "The file holding the key store's password (with --tls-keystore).")
  Path tlsPasswordFile;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(carrier)) {
      throw new CarryonException(
          ExitCodes.BAD_INPUT, carrier + ": not a folder (make it first to serve an empty carrier)");
    }
    Listen at = Listen.parse(spec.commandLine(), listen);
    Path tokens = tokenFile != null ? tokenFile : HostHome.locate().root().resolve("serve.token");
    String token;
    try {
      token = Tokens.readOrCreate(tokens);
    } catch (Tokens.TokenFileException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, e.getMessage(), e);
    }
    CarrierServer.Tls tls = null;
    if (tlsKeyStore != null) {
      if (tlsPasswordFile == null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--tls-keystore needs --tls-password-file");
      }
      tls =
          new CarrierServer.Tls(
              tlsKeyStore,
              new String(Files.readAllBytes(tlsPasswordFile), StandardCharsets.UTF_8).trim());
    }
    String server = "carryon-serve/" + new Main.Version().getVersion()[0].replace("carryon ", "");
    CarrierRoot root =
        many
            ? CarrierRoot.many(carrier, token, server, Clock.systemUTC())
            : CarrierRoot.single(carrier, token, server, Clock.systemUTC());
    CountDownLatch stop = new CountDownLatch(1);
    try (CarrierServer running = CarrierServer.start(root, at.host(), at.port(), tls)) {
      Interrupts.onInterrupt(stop::countDown);
      PrintWriter err = spec.commandLine().getErr();
      if (!at.loopback() && tls == null) {
        err.println(
            "carryon: warning: serving on " + at.host() + " without TLS: the token and the"
                + " carrier's bytes cross the network in clear");
        err.flush();
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println("serving " + carrier + " at " + running.uri());
      out.flush();
      stop.await();
    }
    return ExitCodes.OK;
  }

  /**
   * Where to listen.
   *
   * @param host the address, as given
   * @param port the port, 0 for any free one
   * @param loopback true for a loopback address
   */
  record Listen(String host, int port, boolean loopback) {
    static Listen parse(CommandLine cli, String text) {
      int colon = text.lastIndexOf(':');
      if (colon < 0) {
        throw new CommandLine.ParameterException(
            cli, "--listen '" + text + "' is not ADDR:PORT (e.g. 127.0.0.1:8417, :0)");
      }
      String host = text.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      if (host.isEmpty()) {
        host = "127.0.0.1";
      }
      int port;
      try {
        port = Integer.parseInt(text.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        throw new CommandLine.ParameterException(
            cli, "--listen '" + text + "': the port must be a number from 0 to 65535");
      }
      InetAddress address;
      try {
        address = InetAddress.getByName(host);
      } catch (UnknownHostException e) {
        throw new CommandLine.ParameterException(
            cli, "--listen '" + text + "': unknown address " + host);
      }
      return new Listen(host, port, address.isLoopbackAddress());
    }
  }
}
