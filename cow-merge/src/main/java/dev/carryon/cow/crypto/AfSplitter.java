package dev.carryon.cow.crypto;

import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * LUKS's anti-forensic splitter: a key becomes {@code stripes} blocks of its length, all of which
 * are needed to get it back, so that wiping any part of the key material destroys the key. Every
 * stripe but the last is random; each is XORed into a running block that is then diffused with
 * the hash; the last stripe is the key XORed with that block.
 */
final class AfSplitter {
  private AfSplitter() {}

  /** Spreads {@code key} over {@code stripes} blocks of its length. */
  static byte[] split(HashSpec hash, byte[] key, int stripes, SecureRandom random) {
    int n = key.length;
    byte[] out = new byte[n * stripes];
    random.nextBytes(out);
    byte[] block = new byte[n];
    MessageDigest md = hash.newDigest();
    for (int i = 0; i < stripes - 1; i++) {
      xor(out, i * n, block, n);
      diffuse(md, block);
    }
    for (int j = 0; j < n; j++) {
      out[(stripes - 1) * n + j] = (byte) (key[j] ^ block[j]);
    }
    return out;
  }

  /** The key of {@code keyLength} bytes that {@code material} ({@code stripes} blocks) holds. */
  static byte[] merge(HashSpec hash, byte[] material, int keyLength, int stripes) {
    byte[] block = new byte[keyLength];
    MessageDigest md = hash.newDigest();
    for (int i = 0; i < stripes - 1; i++) {
      xor(material, i * keyLength, block, keyLength);
      diffuse(md, block);
    }
    xor(material, (stripes - 1) * keyLength, block, keyLength);
    return block;
  }

  private static void xor(byte[] src, int from, byte[] block, int n) {
    for (int j = 0; j < n; j++) {
      block[j] ^= src[from + j];
    }
  }

  /** Replaces each digest-sized piece i of {@code block} by H(be32(i) || piece), cut to its length. */
  private static void diffuse(MessageDigest md, byte[] block) {
    int d = md.getDigestLength();
    for (int i = 0, at = 0; at < block.length; i++, at += d) {
      int len = Math.min(d, block.length - at);
      md.update(new byte[] {(byte) (i >>> 24), (byte) (i >>> 16), (byte) (i >>> 8), (byte) i});
      md.update(block, at, len);
      System.arraycopy(md.digest(), 0, block, at, len);
    }
  }
}
