package dev.carryon.cow;

import dev.carryon.cow.crypto.Luks;

/**
 * How {@link Qcow2Creator} encrypts a new image: qcow2's LUKS encryption ({@code
 * encrypt.format=luks} with QEMU's defaults: aes-256 xts-plain64, sha256), key slot 0 opened by
 * the secret. QEMU opens the image with the same secret ({@code --object secret,id=s,...
 * encrypt.key-secret=s}).
 *
 * <p>The secret should be a key, not a passphrase: PBKDF2 with the default {@value
 * #MIN_ITERATIONS} iterations (LUKS's and QEMU's minimum, about a millisecond) does little to slow
 * down guessing. Derive the secret from a passphrase with a memory-hard KDF first, or raise the
 * iterations.
 */
public final class Encryption {
  /** LUKS's and QEMU's smallest PBKDF2 iteration count, of the key slot and of the key digest. */
  public static final int MIN_ITERATIONS = 1000;
  /** Bytes of the master key: two AES-256 keys, one for the data, one for the XTS tweak. */
  public static final int MASTER_KEY_BYTES = 64;

  /** What opens key slot 0. */
  private final byte[] secret;
  /** The master key the data is encrypted with; null draws a random one. */
  private final byte[] masterKey;
  /** PBKDF2 iterations of key slot 0 and of the master-key digest. */
  private final int iterations;

  private Encryption(byte[] secret, byte[] masterKey, int iterations) {
    this.secret = secret;
    this.masterKey = masterKey;
    this.iterations = iterations;
  }

  /**
   * LUKS encryption opened by {@code secret}, which must be what QEMU can hold in a secret object
   * for it: UTF-8 text without NUL bytes (QEMU reads it up to the first NUL).
   */
  public static Encryption luks(byte[] secret) {
    String problem = Luks.secretProblem(secret);
    if (problem != null) {
      throw new IllegalArgumentException("the secret cannot encrypt an image: " + problem);
    }
    return new Encryption(secret.clone(), null, MIN_ITERATIONS);
  }

  /**
   * The same, with {@code masterKey} ({@value #MASTER_KEY_BYTES} bytes) as the master key, so that
   * several images share one. A merge still decrypts and encrypts again: the XTS tweak is the host
   * sector, which differs between images.
   */
  public Encryption withMasterKey(byte[] masterKey) {
    if (masterKey.length != MASTER_KEY_BYTES) {
      throw new IllegalArgumentException(
          "master key has " + masterKey.length + " bytes; aes-256-xts needs " + MASTER_KEY_BYTES);
    }
    return new Encryption(secret, masterKey.clone(), iterations);
  }

  /** The same, with {@code iterations} PBKDF2 rounds (at least {@value #MIN_ITERATIONS}). */
  public Encryption withIterations(int iterations) {
    if (iterations < MIN_ITERATIONS) {
      throw new IllegalArgumentException(
          "PBKDF2 iterations (" + iterations + ") must be at least " + MIN_ITERATIONS + ", the LUKS floor QEMU keeps too");
    }
    return new Encryption(secret, masterKey, iterations);
  }

  /** A copy of the secret. */
  public byte[] secret() {
    return secret.clone();
  }

  /** A copy of the given master key, or null when the image draws its own. */
  public byte[] masterKey() {
    return masterKey == null ? null : masterKey.clone();
  }

  public int iterations() {
    return iterations;
  }
}
