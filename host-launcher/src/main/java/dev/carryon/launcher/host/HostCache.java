package dev.carryon.launcher.host;

import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * This host's copies of remote carriers' files, under {@code $CARRYON_HOME/cache}: what QEMU reads
 * when the carrier is behind HTTP (the guest writes only its local COW). Keyed by content: a file
 * is stored as {@code sha256/HEX}, so the same base on two carriers is stored once and a second
 * resume fetches only what it does not hold. Every file is checked against the manifest's SHA-256
 * while it arrives and stored under its name only once whole, forced and checked; a fetch that was
 * cut continues from what arrived ({@code part/HEX}). The cache keeps to a size: the files used
 * least recently go first, but never one a session pinned ({@link Pins}, in {@code pins}) for as
 * long as its pin is held.
 */
public final class HostCache {
  /** The folder of a file's content, by hash. */
  static final String FILES = "sha256";

  /** Fetches under way or cut. */
  static final String PARTS = "part";

  /** One file per session that reads cached files. */
  static final String PINS = "pins";

  /** Held while the cache's names change (a file stored, evicted, pinned). */
  static final String LOCK = "lock";

  /** Bytes read from the carrier per step. */
  private static final int BUFFER = 1 << 20;

  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  /** The cache folder. */
  private final Path folder;

  /** Bytes the cache keeps to, once no running session needs more. */
  private final long limit;

  /** The sessions' pins. */
  private final Pins pins;

  private HostCache(Path folder, long limit, Pins pins) {
    this.folder = folder;
    this.limit = limit;
    this.pins = pins;
  }

  /** The cache in {@code folder} (made if absent), kept to {@code limit} bytes. */
  public static HostCache open(Path folder, long limit) throws IOException {
    if (limit <= 0) {
      throw new IllegalArgumentException("cache size (" + limit + ") must be positive");
    }
    // The cache holds the user's disks: readable by the user only, as all of $CARRYON_HOME.
    Files.createDirectories(folder);
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
    for (String sub : new String[] {FILES, PARTS}) {
      OwnerOnly.createDirectories(folder.resolve(sub));
    }
    return new HostCache(folder.toAbsolutePath().normalize(), limit, Pins.in(folder.resolve(PINS)));
  }

  /**
   * The size the cache keeps to when not told: a quarter of the file system holding it (a host
   * cache must leave room for the sessions' own COWs and states beside it).
   */
  public static long defaultLimit(Path folder) throws IOException {
    Path p = folder.toAbsolutePath();
    while (!Files.exists(p)) {
      p = p.getParent();
    }
    return Files.getFileStore(p).getTotalSpace() / 4;
  }

  /**
   * A local file holding exactly the bytes {@code record} describes of carrier file {@code name},
   * fetched from {@code storage} when the cache does not hold them, and added to {@code pin} (null:
   * not pinned) so that it stays while the pin is held. The file is read-only.
   *
   * @throws CarrierException when the bytes fetched are not what the manifest records (nothing is
   *     kept of them)
   */
  public Path copyOf(
      CarrierStorage storage, String name, FileRecord record, Progress progress, Pins.Pin pin)
      throws IOException {
    String hex = record.sha256();
    Path stored = folder.resolve(FILES).resolve(hex);
    try (NamesLock names = lockNames()) {
      if (pin != null) {
        pin.add(HexFormat.of().parseHex(hex));
      }
      if (Files.isRegularFile(stored) && Files.size(stored) == record.size()) {
        Files.setLastModifiedTime(stored, FileTime.from(Instant.now()));
        return stored;
      }
      makeRoom(record.size());
    }
    fetch(storage, name, record, progress, stored);
    return stored;
  }

  /**
   * A pin for {@code session}, empty until {@link #copyOf} adds the files it hands out: they stay
   * while it is held (until closed, or its process exits).
   */
  public Pins.Pin pin(String session) throws IOException {
    return pins.hold(session, List.of());
  }

  /** Bytes held in whole files. */
  public long size() throws IOException {
    long total = 0;
    for (Path f : entries()) {
      total += LeastRecentlyUsed.sizeOf(f);
    }
    return total;
  }

  /**
   * Fetches into {@code part/HEX}, continuing what a cut fetch left, checking the SHA-256 as the
   * bytes arrive; then forces it and renames it to {@code stored}. Another process fetching the
   * same file waits for this one and then finds it stored.
   */
  private void fetch(
      CarrierStorage storage, String name, FileRecord record, Progress progress, Path stored)
      throws IOException {
    Path part = folder.resolve(PARTS).resolve(record.sha256());
    try (FileChannel ch =
            OwnerOnly.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock fetching = ch.lock()) {
      if (Files.isRegularFile(stored)) {
        // Another process stored it while this one waited: nobody needs the part any more.
        Files.deleteIfExists(part);
        return;
      }
      MessageDigest sha = Hex.newSha256();
      long have = Math.min(ch.size(), record.size());
      ch.truncate(have);
      seed(ch, have, sha);
      ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
      progress.advanced(have, record.size());
      try (InputStream in = storage.openRead(name, have)) {
        while (have < record.size()) {
          buffer.clear();
          int n = in.read(buffer.array(), 0, (int) Math.min(BUFFER, record.size() - have));
          if (n < 0) {
            break;
          }
          buffer.limit(n);
          sha.update(buffer.array(), 0, n);
          while (buffer.hasRemaining()) {
            have += ch.write(buffer, have);
          }
          progress.advanced(have, record.size());
        }
      }
      String got = Hex.of(sha.digest());
      if (have != record.size() || !got.equals(record.sha256())) {
        ch.truncate(0);
        throw new CarrierException(
            storage.location() + ": carrier file " + name + " arrived as " + have + " bytes with"
                + " SHA-256 " + got + ", but the manifest records " + record.size() + " bytes with "
                + record.sha256() + "; nothing of it is kept");
      }
      // Forced before it gets its name: after a power cut the name must mean the whole content.
      WritePoints.reach(part, "force");
      ch.force(true);
      Files.setPosixFilePermissions(part, PosixFilePermissions.fromString("r--------"));
      try (NamesLock names = lockNames()) {
        WritePoints.reach(stored, "rename " + part + " to");
        Files.move(part, stored, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceFolder(folder.resolve(FILES));
      }
    }
  }

  /** Adds to {@code sha} the first {@code length} bytes already in {@code ch}. */
  private static void seed(FileChannel ch, long length, MessageDigest sha) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(BUFFER);
    for (long at = 0; at < length; ) {
      b.clear().limit((int) Math.min(BUFFER, length - at));
      int n = ch.read(b, at);
      if (n < 0) {
        throw new IOException(ch + ": shorter than " + length + " bytes while re-read");
      }
      sha.update(b.array(), 0, n);
      at += n;
    }
  }

  /**
   * Evicts the files used least recently, skipping pinned ones, until {@code incoming} more bytes
   * fit in the limit; when pinned files alone fill it, the cache grows past its limit for as long
   * as those sessions run rather than refusing them.
   */
  private void makeRoom(long incoming) throws IOException {
    Set<String> pinned = pins.held();
    LeastRecentlyUsed.evict(
        entries(), f -> pinned.contains(f.getFileName().toString()), limit - incoming);
  }

  private List<Path> entries() throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(folder.resolve(FILES))) {
      for (Path p : s) {
        if (HEX.matcher(p.getFileName().toString()).matches()) {
          files.add(p);
        }
      }
    }
    return files;
  }

  /** The lock on the cache's names, held until closed; other carryon processes wait for it. */
  private interface NamesLock extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  private NamesLock lockNames() throws IOException {
    FileChannel ch =
        OwnerOnly.open(folder.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.lock();
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return () -> {
      try (ch) {
        lock.release();
      }
    };
  }

  private static void forceFolder(Path dir) throws IOException {
    WritePoints.reach(dir, "fsync folder");
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
