package dev.carryon.cow.crypto;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * {@link Pbkdf2} against published vectors, RFC 6070 (HMAC-SHA1) and RFC 7914 (HMAC-SHA256), and
 * against PBKDF2 over the JDK's own HMAC for every LUKS hash and key lengths around the block size.
 */
class Pbkdf2Test {
  private static String derive(HashSpec hash, String password, String salt, int iterations, int length) {
    return HexFormat.of().formatHex(Pbkdf2.derive(
        hash, password.getBytes(StandardCharsets.US_ASCII), salt.getBytes(StandardCharsets.US_ASCII), iterations, length));
  }

  @Test
  void rfc6070() {
    assertEquals("0c60c80f961f0e71f3a9b524af6012062fe037a6", derive(HashSpec.SHA1, "password", "salt", 1, 20));
    assertEquals("4b007901b765489abead49d926f721d065a429c1", derive(HashSpec.SHA1, "password", "salt", 4096, 20));
  }

  @Test
  void rfc7914() {
    assertEquals(
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
        derive(HashSpec.SHA256, "passwd", "salt", 1, 64));
  }

  @Test
  void outputShorterThanOneBlockIsItsPrefix() {
    assertEquals(derive(HashSpec.SHA256, "passwd", "salt", 3, 64).substring(0, 40), derive(HashSpec.SHA256, "passwd", "salt", 3, 20));
  }

  @Test
  void emptyPasswordAndZeroIterationsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Pbkdf2.derive(HashSpec.SHA256, new byte[0], new byte[8], 1, 20));
    assertThrows(IllegalArgumentException.class, () -> Pbkdf2.derive(HashSpec.SHA256, new byte[1], new byte[8], 0, 20));
  }

  /** PBKDF2 as RFC 8018 writes it, over the JDK's Mac. */
  private static byte[] overJdkMac(String hmac, byte[] password, byte[] salt, int iterations, int length)
      throws Exception {
    Mac mac = Mac.getInstance(hmac);
    mac.init(new SecretKeySpec(password, hmac));
    int h = mac.getMacLength();
    byte[] out = new byte[length];
    for (int block = 1, at = 0; at < length; block++, at += h) {
      mac.update(salt);
      byte[] u = mac.doFinal(new byte[] {0, 0, 0, (byte) block});
      byte[] t = u.clone();
      for (int i = 1; i < iterations; i++) {
        u = mac.doFinal(u);
        for (int j = 0; j < h; j++) {
          t[j] ^= u[j];
        }
      }
      System.arraycopy(t, 0, out, at, Math.min(h, length - at));
    }
    return out;
  }

  @Test
  void sameAsOverTheJdksHmacForEveryHashAndKeyLength() throws Exception {
    Random random = new Random(8018);
    for (HashSpec hash : HashSpec.values()) {
      // Keys shorter than a block, exactly one (a LUKS secret of 64 hex digits), and longer (hashed).
      for (int keyLength : new int[] {1, 20, hash.blockBytes - 1, hash.blockBytes, hash.blockBytes + 1, 300}) {
        byte[] password = new byte[keyLength];
        byte[] salt = new byte[32];
        random.nextBytes(password);
        random.nextBytes(salt);
        assertArrayEquals(
            overJdkMac("Hmac" + hash.name(), password, salt, 7, 100),
            Pbkdf2.derive(hash, password, salt, 7, 100),
            hash + ", a key of " + keyLength + " bytes");
      }
    }
  }
}
