package dev.carryon.carrier.protocol;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * What a carrier server serves: one carrier folder at {@code /} ({@code carryon serve}), or a
 * folder of carriers, each at {@code /NAME/} (the phone). Turns a request path into the carrier it
 * addresses and the path under that carrier's prefix, checks the token and the protocol version
 * through its {@link RequestGuard}, and lets expired write locks go.
 */
public final class CarrierRoot implements Closeable {
  /** A carrier's name under a root of several: what {@code /NAME/} may hold. */
  private static final Pattern CARRIER_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}");

  /** The served folder: the carrier itself, or the folder of carriers. */
  private final Path folder;

  /** True when {@link #folder} holds carriers at {@code /NAME/}. */
  private final boolean many;

  /** The token check. */
  private final RequestGuard guard;

  /** The server's name and version, for {@code info}. */
  private final String server;

  /** Tells lock expiry. */
  private final Clock clock;

  /** The carriers addressed so far, by name ({@code ""}: the one carrier). */
  private final ConcurrentMap<String, ServedCarrier> carriers = new ConcurrentHashMap<>();

  /** Lets expired locks go, so a dead holder's lock frees the folder for local commands too. */
  private final ScheduledExecutorService sweeper;

  private CarrierRoot(Path folder, boolean many, String token, String server, Clock clock) {
    this.folder = folder.toAbsolutePath().normalize();
    this.many = many;
    this.guard = new RequestGuard(token);
    this.server = server;
    this.clock = clock;
    this.sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "carryon lock expiry");
              t.setDaemon(true);
              return t;
            });
    sweeper.scheduleWithFixedDelay(this::expireLocks, 1, 1, TimeUnit.SECONDS);
  }

  /** Serves the carrier folder {@code folder} at {@code /}. */
  public static CarrierRoot single(Path folder, String token, String server, Clock clock) {
    return new CarrierRoot(folder, false, token, server, clock);
  }

  /** Serves every carrier folder in {@code folder} at {@code /NAME/}. */
  public static CarrierRoot many(Path folder, String token, String server, Clock clock) {
    return new CarrierRoot(folder, true, token, server, clock);
  }

  /** The token and version checks. */
  public RequestGuard guard() {
    return guard;
  }

  /**
   * A request path split into its carrier and the rest.
   *
   * @param carrier the carrier addressed
   * @param path the path under the carrier's prefix, without a leading {@code /} ({@code ""}: the
   *     page)
   */
  public record Target(ServedCarrier carrier, String path) {}

  /**
   * The carrier {@code rawPath} (as the request line has it, not decoded) addresses, after {@link
   * RequestGuard#checkPath}.
   *
   * @throws ProtocolException {@code bad-name} for a path outside the grammar, {@code not-found}
   *     for a path naming no carrier
   */
  public Target resolve(String rawPath) throws ProtocolException {
    RequestGuard.checkPath(rawPath);
    String rest = rawPath.substring(1);
    if (!many) {
      return new Target(carrier(""), rest);
    }
    int slash = rest.indexOf('/');
    String name = slash < 0 ? rest : rest.substring(0, slash);
    if (name.isEmpty() || !CARRIER_NAME.matcher(name).matches()) {
      throw new ProtocolException(
          ErrorCode.NOT_FOUND,
          "'" + rawPath + "' names no carrier: this server serves each carrier at /NAME/");
    }
    return new Target(carrier(name), slash < 0 ? "" : rest.substring(slash + 1));
  }

  /** The names of the carrier folders under a root of several (empty for a single carrier). */
  public java.util.List<String> names() throws IOException {
    java.util.List<String> names = new java.util.ArrayList<>();
    if (many && Files.isDirectory(folder)) {
      try (java.nio.file.DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
        for (Path p : s) {
          String n = p.getFileName().toString();
          if (Files.isDirectory(p) && CARRIER_NAME.matcher(n).matches()) {
            names.add(n);
          }
        }
      }
    }
    java.util.Collections.sort(names);
    return names;
  }

  private ServedCarrier carrier(String name) {
    return carriers.computeIfAbsent(
        name,
        n ->
            new ServedCarrier(
                n.isEmpty() ? null : n, n.isEmpty() ? folder : folder.resolve(n), server, clock));
  }

  /**
   * Releases the write locks whose time is up and whose holders run no request, with their
   * folders' own locks. The root does this every second by itself.
   */
  public void expireLocks() {
    for (ServedCarrier c : carriers.values()) {
      try {
        c.expireLocks();
      } catch (IOException | RuntimeException e) {
        // Releasing an OS lock failed (the folder vanished): the next request tries again.
      }
    }
  }

  /** Stops letting locks expire and releases every lock held. */
  @Override
  public void close() throws IOException {
    sweeper.shutdownNow();
    IOException first = null;
    for (ServedCarrier c : carriers.values()) {
      try {
        c.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
