package dev.carryon.launcher.session;

import dev.carryon.carrier.client.ClientToken;
import dev.carryon.launcher.cli.ServeProcess;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a session test's carrier lives, one of the storages the session stories run over (a test
 * configuration matrix, as Jimfs's tests run over file system configurations): a folder the CLI is
 * given by its path, or the same folder served by a real {@code carryon serve} on loopback and
 * given to the CLI by its URL, the hosts holding the token in {@code CARRYON_TOKEN}.
 */
public final class CarrierPlace implements AutoCloseable {
  /** The storages of the matrix. */
  public enum Storage {
    FOLDER,
    SERVED
  }

  /** The carrier as the CLI is given it. */
  private final TestCarrier carrier;

  /** The server, or null for a folder. */
  private final ServeProcess server;

  /** The server's token, or null. */
  private final String token;

  private CarrierPlace(TestCarrier carrier, ServeProcess server, String token) {
    this.carrier = carrier;
    this.server = server;
    this.token = token;
  }

  /**
   * The place of a carrier whose files are (or will be, once a host inits it) in {@code folder},
   * over {@code storage}; a server's files (token, output) go beside the folder.
   */
  public static CarrierPlace of(Storage storage, Path folder)
      throws IOException, InterruptedException {
    if (storage == Storage.FOLDER) {
      return new CarrierPlace(SessionKit.carrierAt(folder), null, null);
    }
    Files.createDirectories(folder);
    Path beside = folder.resolveSibling(folder.getFileName() + "-server");
    Path tokenFile = beside.resolve("token");
    ServeProcess server =
        ServeProcess.start(
            beside, folder.toString(), "--listen", "127.0.0.1:0", "--token-file", tokenFile.toString());
    return new CarrierPlace(
        new TestCarrier(server.uri().toString(), folder), server, Files.readString(tokenFile).trim());
  }

  /** The carrier as the CLI is given it, and its files. */
  public TestCarrier carrier() {
    return carrier;
  }

  /** A host named {@code name} in {@code dir} that can reach the carrier (it holds the token). */
  public TestHost host(Path dir, String name) {
    TestHost host = SessionKit.host(dir, name);
    return token == null ? host : new TestHost(host.home(), name, Map.of(ClientToken.ENV, token));
  }

  /** How commands name carrier file {@code name} in their output: its path or its URL. */
  public String describe(String name) {
    return server == null ? carrier.resolve(name).toString() : server.uri().resolve(name).toString();
  }

  /** The server, or null for a folder carrier. */
  public ServeProcess server() {
    return server;
  }

  @Override
  public void close() throws IOException {
    if (server != null) {
      server.close();
    }
  }
}
