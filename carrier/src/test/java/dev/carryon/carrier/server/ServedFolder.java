package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.CarrierRoot;
import dev.carryon.carrier.protocol.Tokens;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;

/**
 * A test's carrier server: the real {@link CarrierServer} on loopback, on a free port, serving one
 * carrier folder at {@code /} or a folder of carriers at {@code /NAME/}, with a fresh token.
 */
public final class ServedFolder implements Closeable {
  /** The running server. */
  private final CarrierServer server;

  /** The token it wants. */
  private final String token;

  /** The folder served. */
  private final Path folder;

  private ServedFolder(CarrierServer server, String token, Path folder) {
    this.server = server;
    this.token = token;
    this.folder = folder;
  }

  /** Serves carrier folder {@code folder} at {@code /}. */
  public static ServedFolder single(Path folder) throws IOException {
    String token = Tokens.newToken();
    return new ServedFolder(
        CarrierServer.start(
            CarrierRoot.single(folder, token, "carryon-serve/test", Clock.systemUTC()),
            "127.0.0.1", 0, null),
        token,
        folder);
  }

  /** Serves each carrier folder in {@code folder} at {@code /NAME/}. */
  public static ServedFolder many(Path folder) throws IOException {
    String token = Tokens.newToken();
    return new ServedFolder(
        CarrierServer.start(
            CarrierRoot.many(folder, token, "carryon-serve/test", Clock.systemUTC()),
            "127.0.0.1", 0, null),
        token,
        folder);
  }

  public URI uri() {
    return server.uri();
  }

  public int port() {
    return server.port();
  }

  public String token() {
    return token;
  }

  public Path folder() {
    return folder;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
