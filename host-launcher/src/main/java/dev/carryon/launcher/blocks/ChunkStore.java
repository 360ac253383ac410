package dev.carryon.launcher.blocks;

import dev.carryon.carrier.ChunkList;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.launcher.host.LeastRecentlyUsed;
import dev.carryon.launcher.host.Pins;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Verified chunks of carrier images kept on this host, each a file named by its SHA-256 in one
 * folder: chunk-addressed, so a chunk read once, from any carrier or generation, is not read from a
 * carrier again. A chunk is checked again whenever it is taken out of its file (a copy damaged on
 * this host is deleted and read anew), and stored through a temporary name and an atomic rename,
 * not forced: a chunk lost in a crash is only read again. The chunks taken out or stored last are
 * also held in memory ({@value #RECENT} of them), checked already: QEMU reads the few chunks of a
 * qcow2 header and its tables many times over (27 reads of 10 chunks to open a chain of four
 * images, and as many again when a restore hands it the disks), and each file read and its hash
 * cost 0.2-25 ms in a keeper just started.
 *
 * <p>The store keeps to a size by the host cache's rule ({@link LeastRecentlyUsed}), never evicting
 * a chunk of a running session's chain: each session keeper pins its chain in {@value #PINS}
 * ({@link Pins}) for as long as it runs.
 */
public final class ChunkStore {
  /** The folder of the running sessions' pins. */
  static final String PINS = "pins";

  /** Share of the size the store evicts down to once over it, so that it does not list every put. */
  private static final double LOW_WATER = 0.9;

  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  /** Chunks held in memory: at most 16 MiB of 64 KiB chunks. */
  static final int RECENT = 256;
  /** What {@link #warmUp} hashes. */
  static final int WARM_UP_BYTES = 8 << 20;

  /** The folder holding the chunks. */
  private final Path folder;

  /** Bytes the store keeps to, once no running session needs more. */
  private final long limit;

  /** The running sessions' pins. */
  private final Pins pins;

  /** Bytes held as this process counts them; -1 until {@link #keepToLimit} first counted. */
  private long held = -1;

  /** The chunks taken out or stored last, by their hash in hex, least recently used first. */
  private final Map<String, byte[]> recent =
      Collections.synchronizedMap(
          new LinkedHashMap<>(RECENT, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
              return size() > RECENT;
            }
          });

  private ChunkStore(Path folder, long limit, Pins pins) {
    this.folder = folder;
    this.limit = limit;
    this.pins = pins;
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
    return new ChunkStore(folder, limit, Pins.in(folder.resolve(PINS)));
  }

  /**
   * Pins every chunk of {@code lists} for {@code session} in every store of this folder, for as
   * long as the pin stays open (or its process runs).
   */
  public Pins.Pin pin(String session, List<ChunkList> lists) throws IOException {
    List<byte[]> hashes = new ArrayList<>();
    for (ChunkList list : lists) {
      for (int i = 0; i < list.count(); i++) {
        hashes.add(list.hashOf(i));
      }
    }
    return pins.hold(session, hashes);
  }

  /**
   * Counts the bytes held and evicts down to the size if over it; from then on every chunk stored
   * is counted, and the store evicts whenever it grows past the size. The keeper calls it once the
   * guest runs: listing the store is no work a resume should wait for.
   */
  public synchronized void keepToLimit() throws IOException {
    held = LeastRecentlyUsed.evict(entries(), pinned(), limit);
  }

  /**
   * The chunk whose SHA-256 is {@code hash}, or null when absent or no longer matching. The array
   * may be the one held in memory: callers do not change it.
   */
  byte[] get(byte[] hash) throws IOException {
    String key = Hex.of(hash);
    Path file = fileOf(key);
    byte[] bytes = recent.get(key);
    if (bytes == null) {
      try {
        bytes = Files.readAllBytes(file);
      } catch (NoSuchFileException e) {
        return null;
      }
      if (!Arrays.equals(sha256(bytes, bytes.length), hash)) {
        Files.deleteIfExists(file);
        return null;
      }
      recent.put(key, bytes);
    }
    if (limit != Long.MAX_VALUE) {
      touch(file); // its use, for the eviction's order
    }
    return bytes;
  }

  /** True when the chunk whose SHA-256 is {@code hash} is kept (not checked). */
  boolean has(byte[] hash) {
    return Files.isRegularFile(fileOf(Hex.of(hash)));
  }

  /** Keeps the first {@code length} bytes of {@code bytes}, whose SHA-256 is {@code hash}. */
  void put(byte[] hash, byte[] bytes, int length) throws IOException {
    String key = Hex.of(hash);
    byte[] chunk = Arrays.copyOf(bytes, length);
    recent.put(key, chunk);
    Path file = fileOf(key);
    if (Files.isRegularFile(file)) {
      return;
    }
    Path tmp = Files.createTempFile(folder, ".chunk", ".tmp");
    try {
      Files.write(tmp, chunk);
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

  /**
   * Hashes {@value #WARM_UP_BYTES} bytes a chunk at a time, so that the JIT has compiled SHA-256
   * into its intrinsic before the first chunks a guest waits for: in a fresh JVM the first 64 KiB
   * chunks hash interpreted, at several ms each.
   */
  public static void warmUp() {
    byte[] chunk = new byte[ChunkList.CHUNK_SIZE];
    for (int i = 0; i < WARM_UP_BYTES / chunk.length; i++) {
      chunk[0] = sha256(chunk, chunk.length)[0];
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

  /** Whether a chunk file is pinned by a running session. */
  private Predicate<Path> pinned() throws IOException {
    Set<String> hashes = pins.held();
    return f -> hashes.contains(f.getFileName().toString());
  }

  private static void touch(Path file) throws IOException {
    try {
      Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
    } catch (NoSuchFileException evicted) {
      // Evicted meanwhile: the bytes are read already.
    }
  }

  /** The file of the chunk whose SHA-256 in hex is {@code key}. */
  private Path fileOf(String key) {
    return folder.resolve(key);
  }
}
