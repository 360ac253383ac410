package dev.carryon.launcher.host;

import dev.carryon.cow.io.OwnerOnly;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * This host's own carryon folder: the host catalog, per-session work files and caches. Two
 * "hosts" on one machine are two such folders, chosen with {@code CARRYON_HOME}.
 *
 * <pre>
 *   catalog.db            host catalog (SQLite)
 *   accel-probe.json      last KVM probe's result and what it depends on (a cache; may be deleted)
 *   qemu-facts.json       what each QEMU binary answered over QMP (a cache; may be deleted)
 *   native/               JNI libraries of sqlite-jdbc and zstd-jni, unpacked once (a cache)
 *   sessions/ID/          one session's work files
 *   mirrors/HASH.record   what the last `export --mirror` into one host folder left there
 *   phones/SERIAL.token   the token of each phone this host is paired with (mode 0600)
 * </pre>
 */
public final class HostHome {
  /** The folder itself, absolute. */
  private final Path root;

  private HostHome(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /**
   * The folder named by the system property {@code carryon.home}, else {@code CARRYON_HOME}, else
   * {@code ~/.local/share/carryon}; created if missing.
   */
  public static HostHome locate() throws IOException {
    return at(configuredRoot());
  }

  /** The folder {@link #locate()} would use, when it exists already; nothing is created. */
  public static Optional<HostHome> existing() {
    Path root = configuredRoot();
    return Files.isDirectory(root) ? Optional.of(new HostHome(root)) : Optional.empty();
  }

  private static Path configuredRoot() {
    String configured = System.getProperty("carryon.home");
    if (configured == null || configured.isEmpty()) {
      configured = System.getenv("CARRYON_HOME");
    }
    return configured == null || configured.isEmpty()
        ? Path.of(System.getProperty("user.home"), ".local", "share", "carryon")
        : Path.of(configured);
  }

  /** The given folder, created if missing (its owner's only, as everything carryon makes in it). */
  public static HostHome at(Path root) throws IOException {
    OwnerOnly.createDirectories(root);
    return new HostHome(root);
  }

  public Path root() {
    return root;
  }

  /** The SQLite file holding the host catalog. */
  public Path catalogFile() {
    return root.resolve("catalog.db");
  }

  /** The KVM probe's cache file (see {@code dev.carryon.launcher.qemu.AccelProbe}). */
  public Path accelProbeCache() {
    return root.resolve("accel-probe.json");
  }

  /** See {@code dev.carryon.launcher.qemu.QemuFactsCache}. */
  public Path qemuFactsCache() {
    return root.resolve("qemu-facts.json");
  }

  /**
   * The record of the mirror kept in {@code mirrorFolder} (named by a hash of its absolute path):
   * a mirror is this host's copy, so its record is this host's, not the carrier's, and the mirror
   * folder itself holds nothing but the guest's files.
   */
  public Path mirrorRecord(Path mirrorFolder) {
    return root.resolve("mirrors").resolve(shortHash(mirrorFolder.toAbsolutePath().normalize().toString()) + ".record");
  }

  /**
   * Where this host keeps the id of the write lock its command holds on the carrier server at
   * {@code url} ({@code dev.carryon.carrier.client.LockMemory}), named by a hash of the URL.
   */
  public Path lockMemory(String url) {
    return root.resolve("locks").resolve(shortHash(url) + ".lock");
  }

  /** The first 12 bytes of the SHA-256 of {@code text}, in hex: a file name for it. */
  private static String shortHash(String text) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The tokens of the phones this host is paired with, one file each. */
  public Path phones() {
    return root.resolve("phones");
  }

  /** This host's copies of remote carriers' files ({@link HostCache}). */
  public Path cache() {
    return root.resolve("cache");
  }

  /** The work folder of one session: its local COW, sockets, console log and saved state. */
  public Path sessionDir(String sessionId) {
    return root.resolve("sessions").resolve(sessionId);
  }
}
