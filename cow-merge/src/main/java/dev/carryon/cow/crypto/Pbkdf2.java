package dev.carryon.cow.crypto;

import java.security.InvalidKeyException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * PBKDF2 (RFC 8018, section 5.2) over HMAC with a LUKS hash. The JDK's own PBKDF2 takes the
 * password as chars, which cannot carry an arbitrary byte string such as a QEMU secret.
 */
final class Pbkdf2 {
  private Pbkdf2() {}

  /** {@code length} bytes derived from {@code password} and {@code salt} in {@code iterations} rounds. */
  static byte[] derive(HashSpec hash, byte[] password, byte[] salt, long iterations, int length) {
    if (iterations < 1 || iterations > 0xffffffffL) {
      throw new IllegalArgumentException("PBKDF2 iterations (" + iterations + ") must be from 1 to 2^32-1");
    }
    if (password.length == 0) {
      throw new IllegalArgumentException("PBKDF2 needs a password of at least one byte");
    }
    Mac mac = hash.newMac();
    try {
      mac.init(new SecretKeySpec(password, mac.getAlgorithm()));
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("HMAC refused a " + password.length + "-byte key", e);
    }
    int h = mac.getMacLength();
    byte[] out = new byte[length];
    byte[] u = new byte[h];
    byte[] t = new byte[h];
    for (int block = 1, at = 0; at < length; block++, at += h) {
      mac.update(salt);
      mac.update(new byte[] {(byte) (block >>> 24), (byte) (block >>> 16), (byte) (block >>> 8), (byte) block});
      doFinal(mac, u);
      System.arraycopy(u, 0, t, 0, h);
      for (long i = 1; i < iterations; i++) {
        mac.update(u);
        doFinal(mac, u);
        for (int j = 0; j < h; j++) {
          t[j] ^= u[j];
        }
      }
      System.arraycopy(t, 0, out, at, Math.min(h, length - at));
    }
    return out;
  }

  private static void doFinal(Mac mac, byte[] into) {
    try {
      mac.doFinal(into, 0);
    } catch (javax.crypto.ShortBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
