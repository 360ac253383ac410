package dev.carryon.cow.crypto;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** {@link Pbkdf2} against published vectors: RFC 6070 (HMAC-SHA1) and RFC 7914 (HMAC-SHA256). */
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
}
