package dev.carryon.carrier.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.junit.jupiter.api.Test;

/** Argon2id against RFC 9106's test vector, and byte for byte against Bouncy Castle's. */
class Argon2idTest {
  private static final byte[] NONE = new byte[0];

  private static byte[] filled(int length, int value) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) value);
    return b;
  }

  /** Bouncy Castle's Argon2id of {@code password}, with no secret and no associated data. */
  private static byte[] bouncyCastle(
      char[] password, byte[] salt, int m, int t, int p, int length) {
    Argon2BytesGenerator g = new Argon2BytesGenerator();
    g.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withMemoryAsKB(m)
        .withIterations(t)
        .withParallelism(p)
        .withSalt(salt)
        .build());
    byte[] out = new byte[length];
    g.generateBytes(password, out);
    return out;
  }

  @Test
  void rfc9106TestVector() {
    // RFC 9106, section 5.3: Argon2id, version 0x13, m=32, t=3, p=4, a secret and associated data.
    byte[] tag =
        Argon2id.hash(filled(32, 1), filled(16, 2), filled(8, 3), filled(12, 4), 32, 3, 4, 32);
    assertArrayEquals(
        HexFormat.of().parseHex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"),
        tag);
  }

  @Test
  void sameBytesAsBouncyCastle() {
    Random random = new Random(9106);
    // {memory KiB, passes, lanes, tag length}: memory not a multiple of 4 lanes, the minimum,
    // lanes that meet at every slice, tags of one BLAKE2b and of several, and the slots' own.
    int[][] cases = {
      {8, 1, 1, 32}, {16, 2, 1, 4}, {33, 3, 2, 64}, {64, 1, 4, 65}, {100, 2, 3, 100},
      {256, 3, 1, 32}, {1024, 2, 2, 128}, {4096, 1, 1, 32},
      {KeySlots.MEMORY_KIB, KeySlots.ITERATIONS, 1, 32}
    };
    for (int[] c : cases) {
      char[] password = new char[1 + random.nextInt(20)];
      for (int i = 0; i < password.length; i++) {
        password[i] = (char) (' ' + random.nextInt(95));
      }
      byte[] salt = new byte[16];
      random.nextBytes(salt);
      byte[] ours =
          Argon2id.hash(
              new String(password).getBytes(StandardCharsets.UTF_8), salt, NONE, NONE,
              c[0], c[1], c[2], c[3]);
      assertArrayEquals(
          bouncyCastle(password, salt, c[0], c[1], c[2], c[3]), ours, Arrays.toString(c));
    }
  }

  @Test
  void aPassphraseIsItsUtf8AsBouncyCastleEncodesIt() {
    // Carriers made before this class unlock only if non-ASCII passphrases still hash the same.
    char[] passphrase = "pässwörd ✓ 🔑 ключ".toCharArray();
    byte[] salt = filled(16, 7);
    byte[] ours =
        Argon2id.hash(
            new String(passphrase).getBytes(StandardCharsets.UTF_8), salt, NONE, NONE,
            8192, 1, 1, 32);
    assertArrayEquals(bouncyCastle(passphrase, salt, 8192, 1, 1, 32), ours);
  }

  @Test
  void parametersOutOfRangeAreRefused() {
    byte[] salt = filled(16, 2);
    int[][] bad = {{7, 1, 1, 32}, {32, 0, 1, 32}, {32, 1, 0, 32}, {32, 1, 5, 32}, {32, 1, 1, 3}};
    for (int[] b : bad) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Argon2id.hash(NONE, salt, NONE, NONE, b[0], b[1], b[2], b[3]),
              Arrays.toString(b));
      assertTrue(e.getMessage().startsWith("Argon2id parameters out of range"), e.getMessage());
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> Argon2id.hash(NONE, new byte[7], NONE, NONE, 32, 1, 1, 32));
  }
}
