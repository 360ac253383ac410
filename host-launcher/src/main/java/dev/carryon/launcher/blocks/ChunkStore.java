package dev.carryon.launcher.blocks;

import dev.carryon.carrier.storage.Hex;
import dev.carryon.cow.io.OwnerOnly;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Verified chunks of carrier images kept on this host, each a file named by its SHA-256 in one
 * folder: chunk-addressed, so a chunk read once, from any carrier or generation, is not read from a
 * carrier again. A chunk is checked again whenever it is taken out (a copy damaged on this host is
 * deleted and read anew), and stored through a temporary name and an atomic rename, not forced: a
 * chunk lost in a crash is only read again.
 */
public final class ChunkStore {
  /** The folder holding the chunks. */
  private final Path folder;

  private ChunkStore(Path folder) {
    this.folder = folder;
  }

  /** The store in {@code folder}, created if absent (its owner's only: a guest's disk is private). */
  public static ChunkStore in(Path folder) throws IOException {
    OwnerOnly.createDirectories(folder);
    return new ChunkStore(folder);
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
  }

  /** The SHA-256 of the first {@code length} bytes of {@code bytes}. */
  static byte[] sha256(byte[] bytes, int length) {
    MessageDigest md = Hex.newSha256();
    md.update(bytes, 0, length);
    return md.digest();
  }

  private Path fileOf(byte[] hash) {
    return folder.resolve(Hex.of(hash));
  }
}
