package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.Digest;
import dev.carryon.carrier.storage.Hex;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.OptionalLong;

/**
 * Bringing whole files onto a carrier durably: each is written in chunks of {@value #CHUNK} bytes
 * (every chunk a write point of the storage), hashed in the same pass, and forced before its record
 * is returned, since a manifest will soon reference it. Nothing here decides what is committed.
 */
final class Durable {
  /** Bytes gathered before one write to the storage. */
  static final int CHUNK = 1 << 20;

  private Durable() {}

  /**
   * Copies the local file {@code source} to carrier file {@code target} and forces it. When {@code
   * target} already holds a prefix of {@code source} (a copy that was cut: the cable pulled, the
   * connection dropped, a server restarted), the copy continues after it instead of sending those
   * bytes again. The prefix is trusted only once the storage's SHA-256 of it (computed where the
   * bytes are) equals this host's; anything else there is overwritten.
   */
  static FileRecord copyIn(CarrierStorage storage, Path source, String target, Progress progress)
      throws IOException {
    long total = Files.size(source);
    Prefix kept = keptPrefix(storage, source, total, target);
    FileRecord written;
    try (InputStream in = Files.newInputStream(source)) {
      in.skipNBytes(kept.length);
      written =
          write(storage, in, total, target, kept.absent, kept.length, kept.sha256, progress);
    }
    if (kept.length > 0) {
      // The prefix was taken on the storage's word: the whole must now hash as this host's file.
      Digest whole = storage.hash(target, -1);
      if (whole.size() != written.size() || !whole.sha256().equals(written.sha256())) {
        storage.delete(target);
        throw new CarrierException(
            CarrierFiles.where(storage, target) + ": the copy of " + source + " continued after "
                + kept.length + " bytes does not hash as the file does (" + whole.sha256() + ", "
                + written.sha256() + " expected); it was deleted: run the command again");
      }
    }
    return written;
  }

  /**
   * Copies {@code in} (a file still being written on this host, for one) to carrier file {@code
   * target} from its start, and forces it; nothing already there is kept.
   */
  static FileRecord copyIn(CarrierStorage storage, InputStream in, String target, Progress progress)
      throws IOException {
    boolean absent = storage.size(target).isEmpty();
    return write(storage, in, -1, target, absent, 0, Hex.newSha256(), progress);
  }

  /**
   * The first bytes of a file already on the carrier.
   *
   * @param absent true when the carrier has no such file
   * @param length how many
   * @param sha256 the hash of those bytes, to be continued with the rest
   */
  private record Prefix(boolean absent, long length, MessageDigest sha256) {}

  /**
   * What of carrier file {@code target} is already the start of {@code source}: all it holds when
   * the storage's hash of it equals this host's, else nothing.
   */
  private static Prefix keptPrefix(CarrierStorage storage, Path source, long total, String target)
      throws IOException {
    OptionalLong there = storage.size(target);
    Prefix none = new Prefix(there.isEmpty(), 0, Hex.newSha256());
    if (there.isEmpty() || there.getAsLong() == 0 || there.getAsLong() > total) {
      return none;
    }
    long have = there.getAsLong();
    MessageDigest local = Hex.newSha256();
    try (InputStream in = Files.newInputStream(source)) {
      byte[] chunk = new byte[CHUNK];
      for (long left = have; left > 0; ) {
        int n = in.readNBytes(chunk, 0, (int) Math.min(chunk.length, left));
        if (n <= 0) {
          return none; // the source shrank while read: start over
        }
        local.update(chunk, 0, n);
        left -= n;
      }
    }
    String mine;
    try {
      mine = Hex.of(((MessageDigest) local.clone()).digest());
    } catch (CloneNotSupportedException e) {
      return none;
    }
    Digest remote = storage.hash(target, have);
    return remote.size() == have && remote.sha256().equals(mine)
        ? new Prefix(false, have, local)
        : none;
  }

  /** Copies carrier file {@code source} to carrier file {@code target} and forces the copy. */
  static FileRecord copyWithin(CarrierStorage storage, String source, String target)
      throws IOException {
    long size = storage.size(source).orElseThrow(() -> missing(storage, source));
    try (InputStream in = storage.openRead(source, 0)) {
      return write(storage, in, size, target, false, 0, Hex.newSha256(), Progress.NONE);
    }
  }

  /** Writes {@code bytes} as the whole of carrier file {@code target} and forces it. */
  static FileRecord writeBytes(CarrierStorage storage, byte[] bytes, String target)
      throws IOException {
    return write(
        storage,
        new ByteArrayInputStream(bytes),
        bytes.length,
        target,
        false,
        0,
        Hex.newSha256(),
        Progress.NONE);
  }

  /** Size and SHA-256 of carrier file {@code name} as the storage holds it now. */
  static FileRecord hash(CarrierStorage storage, String name) throws IOException {
    if (storage.size(name).isEmpty()) {
      throw missing(storage, name);
    }
    Digest d = storage.hash(name, -1);
    return new FileRecord(d.size(), d.sha256());
  }

  /**
   * Writes {@code in} (of {@code total} bytes in all, -1 when unknown) into {@code target} from
   * offset {@code from} on, {@code target} cut there first unless {@code absent} (the caller found
   * no such file: the first write makes it), {@code sha256} holding the hash of the bytes before
   * it; forces it.
   */
  private static FileRecord write(
      CarrierStorage storage,
      InputStream in,
      long total,
      String target,
      boolean absent,
      long from,
      MessageDigest sha256,
      Progress progress)
      throws IOException {
    byte[] chunk = new byte[CHUNK];
    long size = from;
    if (!absent) {
      storage.truncate(target, from);
    }
    if (from > 0) {
      progress.advanced(size, total);
    }
    try (OutputStream out = storage.openWrite(target, from)) {
      int n;
      // What the source has now, not a full chunk: a source still being written (the RAM state
      // as QEMU saves it) goes on its way from its first bytes.
      while ((n = in.read(chunk, 0, chunk.length)) > 0) {
        out.write(chunk, 0, n);
        sha256.update(chunk, 0, n);
        size += n;
        progress.advanced(size, total);
      }
    }
    if (absent && size == 0) {
      storage.truncate(target, 0); // nothing was written to make it: an empty file all the same
    }
    // The manifest will soon reference this file: its bytes must be on the medium first.
    storage.force(target);
    return new FileRecord(size, Hex.of(sha256.digest()));
  }

  private static CarrierException missing(CarrierStorage storage, String name) {
    return new CarrierException(
        CarrierFiles.where(storage, name) + ": does not exist on the carrier");
  }
}
