package dev.carryon.carrier.keys;

import dev.carryon.carrier.storage.Hex;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An encrypted carrier's master key, unlocked: 32 random bytes made at {@code init --encrypt},
 * never stored but wrapped in {@link KeySlots}. Each use gets a key of its own, derived with
 * HKDF-SHA256 (RFC 5869) under a label, so that no two uses share key material: the manifest's
 * MAC, the RAM states' cipher, the disk images' LUKS secret.
 */
public final class CarrierKey {
  /** Length of the master key and of every derived key, in bytes (AES-256, HMAC-SHA256). */
  public static final int LENGTH = 32;

  /** Label of the key that authenticates the manifest. */
  public static final String MANIFEST_MAC = "carryon manifest mac v1";

  /** Label of the key that encrypts RAM states. */
  public static final String STATE_CIPHER = "carryon state cipher v1";

  /** Label of the secret the disk images' LUKS key slots are opened with. */
  public static final String DISK_SECRET = "carryon disk secret v1";

  /** The master key. */
  private final byte[] key;

  CarrierKey(byte[] key) {
    if (key.length != LENGTH) {
      throw new IllegalArgumentException("master key of " + key.length + " bytes, not " + LENGTH);
    }
    this.key = key.clone();
  }

  /**
   * The master key whose bytes are {@code key}, as {@link #bytes} gave them to another process of
   * the same user (the session keeper holds it for {@code end}).
   */
  public static CarrierKey of(byte[] key) {
    return new CarrierKey(key);
  }

  /** A fresh random master key. */
  static CarrierKey random() {
    byte[] k = new byte[LENGTH];
    new SecureRandom().nextBytes(k);
    return new CarrierKey(k);
  }

  /**
   * The master key's bytes, for wrapping in a slot, or for handing to the session keeper over its
   * owner-only socket; never to be written anywhere in the clear.
   */
  public byte[] bytes() {
    return key.clone();
  }

  /** The key for {@code label}: HKDF-SHA256 with an empty salt, {@link #LENGTH} bytes. */
  public byte[] derive(String label) {
    try {
      Mac extract = Mac.getInstance("HmacSHA256");
      extract.init(new SecretKeySpec(new byte[LENGTH], "HmacSHA256"));
      byte[] prk = extract.doFinal(key);
      Mac expand = Mac.getInstance("HmacSHA256");
      expand.init(new SecretKeySpec(prk, "HmacSHA256"));
      expand.update(label.getBytes(StandardCharsets.UTF_8));
      expand.update((byte) 1);
      byte[] okm = expand.doFinal();
      Arrays.fill(prk, (byte) 0);
      return okm;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  /**
   * The secret that opens the LUKS key slot of every disk image of the carrier: the key derived
   * for {@link #DISK_SECRET}, as 64 lower-case hex digits, since QEMU reads a secret object as text
   * up to its first NUL byte.
   */
  public byte[] diskSecret() {
    byte[] k = derive(DISK_SECRET);
    try {
      return Hex.of(k).getBytes(StandardCharsets.US_ASCII);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  /** HMAC-SHA256 of {@code data} under the key derived for {@code label}. */
  public byte[] mac(String label, byte[] data) {
    byte[] k = derive(label);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(k, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }
}
