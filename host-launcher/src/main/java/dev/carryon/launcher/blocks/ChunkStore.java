package dev.carryon.launcher.blocks;

import dev.carryon.carrier.ChunkList;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.launcher.host.LeastRecentlyUsed;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Verified chunks of carrier images kept on this host, each a file named by its SHA-256 in one
 * folder: chunk-addressed, so a chunk read once, from any carrier or generation, is not read from a
 * carrier again. A chunk is checked again whenever it is taken out (a copy damaged on this host is
 * deleted and read anew), and stored through a temporary name and an atomic rename, not forced: a
 * chunk lost in a crash is only read again.
 *
 * <p>The store keeps to a size by the host cache's rule ({@link LeastRecentlyUsed}), never evicting
 * a chunk of a running session's chain: each session keeper pins its chain ({@value #PINS}{@code
 * /SESSION}, the chunks' SHA-256s, 32 bytes each) and holds a lock on that file while it runs; a
 * pin file nobody holds is a session that is over, and is dropped.
 */
public final class ChunkStore {
  /** The folder of the running sessions' pins. */
  static final String PINS = "pins";

  /** Share of the size the store evicts down to once over it, so that it does not list every put. */
  private static final double LOW_WATER = 0.9;

  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  private static final Pattern SESSION = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  /** The folder holding the chunks. */
  private final Path folder;

  /** Bytes the store keeps to, once no running session needs more. */
  private final long limit;

  /**
   * The pin files this process holds, by path, with the channel holding each lock. A lock is the
   * process's (POSIX record locks): closing any other channel of the same file would drop it, so
   * this process reads its own pins through these channels and never opens them again.
   */
  private static final Map<Path, FileChannel> HELD = new ConcurrentHashMap<>();

  /** Bytes held as this process counts them; -1 until {@link #keepToLimit} first counted. */
  private long held = -1;

  private ChunkStore(Path folder, long limit) {
    this.folder = folder;
    this.limit = limit;
  }

  /**
   * The store in {@code folder}, created if absent (its owner's only: a guest's disk is private),
   * that evicts nothing.
   */
  public static ChunkStore in(Path folder) throws IOException {
    return in(folder, Long.MAX_VALUE);
  }

  /** The store in {@code folder} (see {@link #in(Path)}), kept to {@code limit} bytes. */
  public static ChunkStore in(Path folder, long limit) throws IOException {
    if (limit <= 0) {
      throw new IllegalArgumentException("chunk store size (" + limit + ") must be positive");
    }
    OwnerOnly.createDirectories(folder);
    OwnerOnly.createDirectories(folder.resolve(PINS));
    return new ChunkStore(folder, limit);
  }

  /**
   * A running session's pin: the chunks of its chain stay in every store of this folder until it
   * is closed (or its process exits, which releases the lock).
   */
  public interface Pin extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  /** Pins every chunk of {@code lists} for {@code session}, for as long as the pin stays open. */
  public Pin pin(String session, List<ChunkList> lists) throws IOException {
    if (!SESSION.matcher(session).matches()) {
      throw new IllegalArgumentException("session id '" + session + "' cannot name a pin file");
    }
    Path file = folder.resolve(PINS).resolve(session);
    // Written under a name evictions skip, and locked before it gets its own: an eviction never
    // takes a pin being made for one whose session is over.
    Path making = folder.resolve(PINS).resolve("." + session);
    FileChannel ch =
        OwnerOnly.open(making, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      FileLock lock = ch.lock();
      ch.truncate(0);
      ByteBuffer b = ByteBuffer.allocate(1 << 16);
      for (ChunkList list : lists) {
        for (int i = 0; i < list.count(); i++) {
          if (b.remaining() < 32) {
            writeFully(ch, b.flip());
            b.clear();
          }
          b.put(list.hashOf(i));
        }
      }
      writeFully(ch, b.flip());
      HELD.put(file.toAbsolutePath().normalize(), ch);
      Files.move(making, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      // Not forced: a pin lost in a power cut has no running session to protect.
      return () -> {
        try (ch) {
          Files.deleteIfExists(file);
          lock.release();
        } finally {
          HELD.remove(file.toAbsolutePath().normalize());
        }
      };
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * Counts the bytes held and evicts down to the size if over it; from then on every chunk stored
   * is counted, and the store evicts whenever it grows past the size. The keeper calls it once the
   * guest runs: listing the store is no work a resume should wait for.
   */
  public synchronized void keepToLimit() throws IOException {
    held = LeastRecentlyUsed.evict(entries(), pinned(), limit);
  }

  /** The chunk whose SHA-256 is {@code hash}, or null when absent or no longer matching. */
  byte[] get(byte[] hash) throws IOException {
    Path file = fileOf(hash);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    }
    if (!Arrays.equals(sha256(bytes, bytes.length), hash)) {
      Files.deleteIfExists(file);
      return null;
    }
    if (limit != Long.MAX_VALUE) {
      touch(file); // its use, for the eviction's order
    }
    return bytes;
  }

  /** True when the chunk whose SHA-256 is {@code hash} is kept (not checked). */
  boolean has(byte[] hash) {
    return Files.isRegularFile(fileOf(hash));
  }

  /** Keeps the first {@code length} bytes of {@code bytes}, whose SHA-256 is {@code hash}. */
  void put(byte[] hash, byte[] bytes, int length) throws IOException {
    Path file = fileOf(hash);
    if (Files.isRegularFile(file)) {
      return;
    }
    Path tmp = Files.createTempFile(folder, ".chunk", ".tmp");
    try {
      Files.write(tmp, Arrays.copyOf(bytes, length));
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    counted(length);
  }

  /** Counts {@code length} more bytes held; evicts once over the size (after the first count). */
  private synchronized void counted(int length) throws IOException {
    if (held < 0) {
      return;
    }
    held += length;
    if (held > limit) {
      held = LeastRecentlyUsed.evict(entries(), pinned(), (long) (limit * LOW_WATER));
    }
  }

  /** The SHA-256 of the first {@code length} bytes of {@code bytes}. */
  static byte[] sha256(byte[] bytes, int length) {
    MessageDigest md = Hex.newSha256();
    md.update(bytes, 0, length);
    return md.digest();
  }

  /** The chunks held. */
  private List<Path> entries() throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
      for (Path p : s) {
        if (HEX.matcher(p.getFileName().toString()).matches()) {
          files.add(p);
        }
      }
    }
    return files;
  }

  /**
   * Whether a chunk file is pinned by a running session: one whose pin file is locked (by another
   * process, or held by this one). Pin files nobody holds are deleted.
   */
  private java.util.function.Predicate<Path> pinned() throws IOException {
    Set<String> hashes = new HashSet<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(folder.resolve(PINS))) {
      for (Path p : s) {
        if (p.getFileName().toString().startsWith(".")) {
          continue; // a pin being made
        }
        FileChannel own = HELD.get(p.toAbsolutePath().normalize());
        if (own != null) {
          addHashes(own, hashes);
          continue;
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          FileLock free = ch.tryLock();
          if (free != null) {
            Files.deleteIfExists(p); // its session is over
            free.release();
            continue;
          }
          addHashes(ch, hashes);
        } catch (NoSuchFileException gone) {
          // Its session ended meanwhile.
        }
      }
    }
    return f -> hashes.contains(f.getFileName().toString());
  }

  /** Adds the hex SHA-256s of the pin {@code ch} holds (32 bytes each) to {@code hashes}. */
  private static void addHashes(FileChannel ch, Set<String> hashes) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), Integer.MAX_VALUE));
    while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
      // positional reads: a held pin's channel is shared
    }
    byte[] all = b.array();
    for (int at = 0; at + 32 <= b.position(); at += 32) {
      hashes.add(Hex.of(Arrays.copyOfRange(all, at, at + 32)));
    }
  }

  private static void touch(Path file) throws IOException {
    try {
      Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
    } catch (NoSuchFileException evicted) {
      // Evicted meanwhile: the bytes are read already.
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private Path fileOf(byte[] hash) {
    return folder.resolve(Hex.of(hash));
  }
}
