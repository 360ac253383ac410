package dev.carryon.launcher.host;

import dev.carryon.carrier.storage.Hex;
import dev.carryon.cow.io.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The pins of a store of this host ({@link HostCache}, the session keepers' chunk store): one file
 * per session in one folder, {@code SESSION}, holding the SHA-256s (32 bytes each) of the entries
 * the session needs, and locked by the process that made it for as long as it holds the pin.
 *
 * <p>A pin file nobody locks protects nothing and is dropped when the pins are read: the kernel
 * releases a lock the moment its holder exits, however it exits, so a crashed session frees its
 * entries without anyone having to notice that it is over. (A pin kept until the host catalog says
 * the session ended would hold a crashed session's entries until someone reconciles the catalog,
 * and keep the store over its size meanwhile.)
 */
public final class Pins {
  /** A session id that names a pin file: not ".", "..", nor a name readers skip as being made. */
  private static final Pattern SESSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** Bytes of one entry's SHA-256 in a pin file. */
  private static final int HASH = 32;

  /**
   * The pin files this process holds, by path, with the channel holding each lock. A lock is the
   * process's (POSIX record locks): closing any other channel of the same file would drop it, so
   * this process reads its own pins through these channels and never opens them again.
   */
  private static final Map<Path, FileChannel> HELD = new ConcurrentHashMap<>();

  /** The folder of the pin files. */
  private final Path folder;

  private Pins(Path folder) {
    this.folder = folder;
  }

  /** The pins in {@code folder}, made if absent (its owner's only). */
  public static Pins in(Path folder) throws IOException {
    OwnerOnly.createDirectories(folder);
    return new Pins(folder.toAbsolutePath().normalize());
  }

  /** A session's pin: what it holds stays in the store until it is closed or its process exits. */
  public interface Pin extends AutoCloseable {
    /** Pins one more entry, by its SHA-256. */
    void add(byte[] sha256) throws IOException;

    /** Unpins everything this pin holds. */
    @Override
    void close() throws IOException;
  }

  /**
   * Pins {@code sha256s} for {@code session}, and whatever is {@linkplain Pin#add added} later, for
   * as long as the pin stays open.
   *
   * @throws IllegalArgumentException when {@code session} cannot name a pin file
   */
  public Pin hold(String session, List<byte[]> sha256s) throws IOException {
    if (!SESSION.matcher(session).matches()) {
      throw new IllegalArgumentException("session id '" + session + "' cannot name a pin file");
    }
    Path file = folder.resolve(session);
    // Written under a name readers skip, and locked before it gets its own: a reader never takes
    // a pin being made for one whose holder is gone, nor sees part of its first entries.
    Path making = folder.resolve("." + session);
    FileChannel ch =
        OwnerOnly.open(making, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      FileLock lock = ch.lock();
      ch.truncate(0);
      ByteBuffer b = ByteBuffer.allocate(1 << 16);
      for (byte[] h : sha256s) {
        if (b.remaining() < HASH) {
          writeFully(ch, b.flip());
          b.clear();
        }
        b.put(checked(h));
      }
      writeFully(ch, b.flip());
      HELD.put(file, ch);
      Files.move(making, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      // Not forced: a pin lost in a power cut has no running session to protect.
      return new Pin() {
        @Override
        public void add(byte[] sha256) throws IOException {
          synchronized (ch) {
            writeFully(ch, ByteBuffer.wrap(checked(sha256)));
          }
        }

        @Override
        public void close() throws IOException {
          try (ch) {
            Files.deleteIfExists(file);
            lock.release();
          } finally {
            HELD.remove(file);
          }
        }
      };
    } catch (IOException | RuntimeException e) {
      try (ch) {
        Files.deleteIfExists(making);
      }
      throw e;
    }
  }

  /**
   * The hex SHA-256s that held pins protect: those of this process's open pins and of pin files
   * another process locks. Pin files nobody locks are deleted.
   */
  public Set<String> held() throws IOException {
    Set<String> hashes = new HashSet<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
      for (Path p : s) {
        if (p.getFileName().toString().startsWith(".")) {
          continue; // a pin being made
        }
        FileChannel own = HELD.get(p);
        if (own != null) {
          synchronized (own) {
            addHashes(own, hashes);
          }
          continue;
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          FileLock free = ch.tryLock();
          if (free != null) {
            Files.deleteIfExists(p); // its holder is gone
            free.release();
            continue;
          }
          addHashes(ch, hashes);
        } catch (NoSuchFileException gone) {
          // Its holder closed it meanwhile.
        }
      }
    }
    return hashes;
  }

  /** Adds the hex SHA-256s in pin file {@code ch} to {@code hashes}. */
  private static void addHashes(FileChannel ch, Set<String> hashes) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), Integer.MAX_VALUE));
    while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
      // positional reads: a held pin's channel is shared
    }
    byte[] all = b.array();
    for (int at = 0; at + HASH <= b.position(); at += HASH) {
      hashes.add(Hex.of(Arrays.copyOfRange(all, at, at + HASH)));
    }
  }

  private static byte[] checked(byte[] sha256) {
    if (sha256.length != HASH) {
      throw new IllegalArgumentException("a SHA-256 has " + HASH + " bytes, not " + sha256.length);
    }
    return sha256;
  }

  /** Writes {@code b} at the end of {@code ch} (positional: a held pin's channel is shared). */
  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    long at = ch.size();
    while (b.hasRemaining()) {
      at += ch.write(b, at);
    }
  }
}
