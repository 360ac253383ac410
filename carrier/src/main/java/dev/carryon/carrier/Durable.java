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

/**
 * Bringing whole files onto a carrier durably: each is written in chunks of {@value #CHUNK} bytes
 * (every chunk a write point of the storage), hashed in the same pass, and forced before its record
 * is returned, since a manifest will soon reference it. Nothing here decides what is committed.
 */
final class Durable {
  /** Bytes gathered before one write to the storage. */
  static final int CHUNK = 1 << 20;

  private Durable() {}

  /** Copies the local file {@code source} to carrier file {@code target} and forces it. */
  static FileRecord copyIn(CarrierStorage storage, Path source, String target, Progress progress)
      throws IOException {
    try (InputStream in = Files.newInputStream(source)) {
      return write(storage, in, Files.size(source), target, progress);
    }
  }

  /** Copies carrier file {@code source} to carrier file {@code target} and forces the copy. */
  static FileRecord copyWithin(CarrierStorage storage, String source, String target)
      throws IOException {
    long size = storage.size(source).orElseThrow(() -> missing(storage, source));
    try (InputStream in = storage.openRead(source, 0)) {
      return write(storage, in, size, target, Progress.NONE);
    }
  }

  /** Writes {@code bytes} as the whole of carrier file {@code target} and forces it. */
  static FileRecord writeBytes(CarrierStorage storage, byte[] bytes, String target)
      throws IOException {
    return write(storage, new ByteArrayInputStream(bytes), bytes.length, target, Progress.NONE);
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
   * Writes {@code in} (of {@code total} bytes, -1 when unknown) as the whole of {@code target},
   * made empty first, and forces it.
   */
  private static FileRecord write(
      CarrierStorage storage, InputStream in, long total, String target, Progress progress)
      throws IOException {
    MessageDigest sha256 = Hex.newSha256();
    byte[] chunk = new byte[CHUNK];
    long size = 0;
    storage.truncate(target, 0);
    try (OutputStream out = storage.openWrite(target, 0)) {
      int n;
      while ((n = in.readNBytes(chunk, 0, chunk.length)) > 0) {
        out.write(chunk, 0, n);
        sha256.update(chunk, 0, n);
        size += n;
        progress.advanced(size, total);
      }
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
