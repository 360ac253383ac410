package dev.carryon.launcher.session;

import dev.carryon.carrier.CarrierKeys;
import dev.carryon.carrier.keys.CarrierKey;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The session keeper's hold of an encrypted carrier's master key, unlocked by {@code resume}, so
 * that {@code end} need not pay the key slots' Argon2id again: the key lives in the keeper's
 * memory for the session's life and travels over a UNIX socket ({@value #SOCKET}) in the keeper's
 * socket folder, which only its owner may enter (0700); each side also checks that the other runs
 * as the folder's owner ({@code SO_PEERCRED}). Never on a command line, in an environment variable
 * or in a file. A keeper that is gone simply holds nothing: {@code end} then asks for the
 * passphrase.
 *
 * <p>One line each way: {@code PUT <slots> <key>} is answered {@code OK}; {@code GET} is answered
 * {@code KEY <slots> <key>} or {@code NONE} (slots: the key slots file's SHA-256, key: the master
 * key, both hex).
 */
final class KeyHolder implements Closeable {
  /** The socket's name in the keeper's socket folder. */
  static final String SOCKET = "key.sock";
  /** No request or answer is longer. */
  private static final int MAX_LINE = 200;
  /** Longest either side waits for the other's line. */
  private static final Duration ANSWER = Duration.ofSeconds(5);
  private static final HexFormat HEX = HexFormat.of();

  /** Where the keeper listens. */
  private final ServerSocketChannel server;
  /** The key, once resume handed it over; null before. */
  private volatile CarrierKeys.Unlocked held;

  private KeyHolder(ServerSocketChannel server) {
    this.server = server;
  }

  /** Listens on {@code socket} (in an owner-only folder), answering on a thread of its own. */
  static KeyHolder listen(Path socket) throws IOException {
    requireOwnerOnly(socket.getParent());
    Files.deleteIfExists(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    KeyHolder holder = new KeyHolder(server);
    Thread t = new Thread(() -> holder.serve(socket.getParent()), "keeper-key");
    t.setDaemon(true);
    t.start();
    return holder;
  }

  private void serve(Path folder) {
    while (server.isOpen()) {
      try (SocketChannel c = server.accept()) {
        requireSameUser(c, folder);
        String request = readLine(c);
        if (request.equals("GET")) {
          CarrierKeys.Unlocked k = held;
          writeLine(c, k == null ? "NONE" : "KEY " + encode(k));
        } else if (request.startsWith("PUT ")) {
          held = decode(request.substring(4));
          writeLine(c, "OK");
        } else {
          writeLine(c, "ERR unknown request");
        }
      } catch (IOException e) {
        if (server.isOpen()) {
          System.out.println("carryon keeper: a key request failed: " + e.getMessage());
        }
      }
    }
  }

  /** Hands {@code key} to the keeper listening on {@code socket}. */
  static void give(Path socket, CarrierKeys.Unlocked key) throws IOException {
    String answer = exchange(socket, "PUT " + encode(key));
    if (!answer.equals("OK")) {
      throw new IOException("the session keeper refused the key: " + answer);
    }
  }

  /**
   * The key the keeper listening on {@code socket} holds; empty when there is no such socket, the
   * keeper is gone or holds none.
   */
  static Optional<CarrierKeys.Unlocked> take(Path socket) throws IOException {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    String answer;
    try {
      answer = exchange(socket, "GET");
    } catch (java.net.ConnectException e) {
      return Optional.empty(); // a keeper that died left its socket behind
    }
    if (answer.equals("NONE")) {
      return Optional.empty();
    }
    if (!answer.startsWith("KEY ")) {
      throw new IOException("the session keeper answered " + answer);
    }
    return Optional.of(decode(answer.substring(4)));
  }

  /** Sends {@code request} to {@code socket} and returns the answer. */
  private static String exchange(Path socket, String request) throws IOException {
    requireOwnerOnly(socket.getParent());
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      requireSameUser(c, socket.getParent());
      writeLine(c, request);
      return readLine(c);
    }
  }

  @Override
  public void close() throws IOException {
    held = null;
    server.close();
  }

  private static String encode(CarrierKeys.Unlocked k) {
    byte[] key = k.key().bytes();
    try {
      return k.slots() + " " + HEX.formatHex(key);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private static CarrierKeys.Unlocked decode(String text) throws IOException {
    String[] parts = text.split(" ", -1);
    if (parts.length != 2 || !parts[0].matches("[0-9a-f]{64}")
        || !parts[1].matches("[0-9a-f]{" + 2 * CarrierKey.LENGTH + "}")) {
      throw new IOException("a malformed key line");
    }
    byte[] key = HEX.parseHex(parts[1]);
    try {
      return new CarrierKeys.Unlocked(parts[0], CarrierKey.of(key));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Refuses a folder that anyone but its owner may enter, or that this user does not own. */
  private static void requireOwnerOnly(Path folder) throws IOException {
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(folder, LinkOption.NOFOLLOW_LINKS);
    if (!mode.equals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE))
        || !Files.getOwner(folder, LinkOption.NOFOLLOW_LINKS).getName()
            .equals(System.getProperty("user.name"))) {
      throw new IOException(folder + " is not this user's alone (0700): no key passes through it");
    }
  }

  /** Refuses a peer that does not run as the owner of {@code folder}. */
  private static void requireSameUser(SocketChannel c, Path folder) throws IOException {
    UnixDomainPrincipal peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
    String owner = Files.getOwner(folder, LinkOption.NOFOLLOW_LINKS).getName();
    if (!peer.user().getName().equals(owner)) {
      throw new IOException("a process of user " + peer.user().getName() + ", not " + owner
          + ", is on the other end of " + folder.resolve(SOCKET));
    }
  }

  private static void writeLine(SocketChannel c, String line) throws IOException {
    ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
    while (b.hasRemaining()) {
      c.write(b);
    }
  }

  /** One line from {@code c}, waiting at most {@link #ANSWER}. */
  private static String readLine(SocketChannel c) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(MAX_LINE);
    long deadline = System.nanoTime() + ANSWER.toNanos();
    c.configureBlocking(false);
    try (Selector s = Selector.open()) {
      c.register(s, SelectionKey.OP_READ);
      while (true) {
        for (int i = 0; i < b.position(); i++) {
          if (b.get(i) == '\n') {
            String line = new String(b.array(), 0, i, StandardCharsets.US_ASCII);
            Arrays.fill(b.array(), (byte) 0);
            return line;
          }
        }
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (!b.hasRemaining() || left <= 0) {
          throw new IOException("no whole line from the other end within " + ANSWER.toSeconds()
              + " s");
        }
        s.select(left);
        if (c.read(b) < 0) {
          throw new IOException("the other end closed before a whole line");
        }
      }
    }
  }
}
