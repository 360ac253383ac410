package dev.carryon.cow.crypto;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link XtsCipher} against the IEEE 1619-2007 test vectors (Annex B, as QEMU's
 * tests/unit/test-crypto-xts.c carries them). XTS encrypts each 16-byte block on its own, with the
 * tweak of its place, so a vector's first bytes are the first bytes of the sector they start.
 */
class XtsCipherTest {
  private static final HexFormat HEX = HexFormat.of();

  /** One vector: key1 (data) and key2 (tweak), the data unit number, plain and cipher text. */
  record Vector(String name, String key1, String key2, long unit, String plain, String cipher) {}

  static final Vector[] VECTORS = {
    new Vector("1", "00000000000000000000000000000000", "00000000000000000000000000000000", 0,
        "0000000000000000000000000000000000000000000000000000000000000000",
        "917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e"),
    new Vector("2", "11111111111111111111111111111111", "22222222222222222222222222222222", 0x3333333333L,
        "4444444444444444444444444444444444444444444444444444444444444444",
        "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0"),
    new Vector("5", "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0", "bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0", 0x123456789aL,
        "4444444444444444444444444444444444444444444444444444444444444444",
        "b01f86f8edc1863706fa8a4253e34f28af319de38334870f4dd1f94cbe9832f1"),
  };

  /** Vector 4: a whole 512-byte data unit, bytes 0..255 twice. */
  static final String KEY1_4 = "27182818284590452353602874713526";
  static final String KEY2_4 = "31415926535897932384626433832795";
  static final String CIPHER_4 =
      "27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c"
          + "c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412"
          + "328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce"
          + "93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265"
          + "5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8"
          + "a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434"
          + "1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c"
          + "5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e"
          + "94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc"
          + "1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3"
          + "e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344"
          + "b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd"
          + "74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752"
          + "afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e"
          + "bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d"
          + "eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568";

  @Test
  void ieeeVectorsOfTwoBlocks() {
    for (Vector v : VECTORS) {
      XtsCipher xts = new XtsCipher(HEX.parseHex(v.key1 + v.key2), true);
      byte[] sector = new byte[SectorCipher.SECTOR];
      byte[] plain = HEX.parseHex(v.plain);
      System.arraycopy(plain, 0, sector, 0, plain.length);
      xts.encrypt(sector, 0, sector.length, v.unit);
      assertEquals(v.cipher, HEX.formatHex(Arrays.copyOf(sector, plain.length)), "vector " + v.name);
      xts.decrypt(sector, 0, sector.length, v.unit);
      assertArrayEquals(plain, Arrays.copyOf(sector, plain.length), "vector " + v.name + " decrypts");
    }
  }

  @Test
  void ieeeVectorOfAWholeSector() {
    XtsCipher xts = new XtsCipher(HEX.parseHex(KEY1_4 + KEY2_4), true);
    byte[] plain = new byte[512];
    for (int i = 0; i < plain.length; i++) {
      plain[i] = (byte) i;
    }
    // At an offset in a larger buffer, as the image's scratch buffer hands sectors over.
    byte[] buf = new byte[3 * 512];
    System.arraycopy(plain, 0, buf, 512, 512);
    xts.encrypt(buf, 512, 512, 0);
    assertEquals(CIPHER_4, HEX.formatHex(Arrays.copyOfRange(buf, 512, 1024)));
    assertArrayEquals(new byte[512], Arrays.copyOf(buf, 512), "bytes before the run untouched");
    xts.decrypt(buf, 512, 512, 0);
    assertArrayEquals(plain, Arrays.copyOfRange(buf, 512, 1024));
  }

  /** Many sectors in one call (longer than one internal pass) equal one call per sector. */
  @Test
  void longRunsEqualSectorBySector() {
    byte[] key = new byte[64];
    new Random(1).nextBytes(key);
    byte[] data = new byte[1200 * 512];
    new Random(2).nextBytes(data);
    byte[] whole = data.clone();
    XtsCipher xts = new XtsCipher(key, true);
    long first = (1L << 32) - 600; // crosses 2^32 sectors
    xts.encrypt(whole, 0, whole.length, first);
    byte[] single = data.clone();
    for (int s = 0; s < 1200; s++) {
      xts.encrypt(single, s * 512, 512, first + s);
    }
    assertArrayEquals(single, whole);
    xts.decrypt(whole, 0, whole.length, first);
    assertArrayEquals(data, whole);
  }

  /** One instance used by several threads at once gives each the same bytes as alone. */
  @Test
  void threadsShareOneInstance() throws Exception {
    byte[] key = new byte[64];
    new Random(3).nextBytes(key);
    XtsCipher xts = new XtsCipher(key, true);
    byte[] data = new byte[64 * 512];
    new Random(4).nextBytes(data);
    byte[] expected = data.clone();
    xts.encrypt(expected, 0, expected.length, 99);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      java.util.List<java.util.concurrent.Future<byte[]>> results = new java.util.ArrayList<>();
      for (int t = 0; t < 32; t++) {
        results.add(pool.submit(() -> {
          byte[] mine = data.clone();
          for (int round = 0; round < 20; round++) {
            xts.encrypt(mine, 0, mine.length, 99);
            if (round < 19) {
              xts.decrypt(mine, 0, mine.length, 99);
            }
          }
          return mine;
        }));
      }
      for (java.util.concurrent.Future<byte[]> r : results) {
        assertArrayEquals(expected, r.get());
      }
    } finally {
      pool.shutdown();
    }
  }

  /** plain takes the low 32 bits of the sector number, plain64 all 64: they part at 2^32. */
  @Test
  void plainWrapsAt2To32Sectors() {
    byte[] key = new byte[32];
    byte[] a = new byte[512];
    byte[] b = new byte[512];
    new XtsCipher(key, false).encrypt(a, 0, 512, (1L << 32) + 7);
    new XtsCipher(key, false).encrypt(b, 0, 512, 7);
    assertArrayEquals(a, b);
    byte[] c = new byte[512];
    new XtsCipher(key, true).encrypt(c, 0, 512, (1L << 32) + 7);
    assertFalse(Arrays.equals(a, c));
  }

  @Test
  void partialSectorsAndBadKeysAreRefused() {
    XtsCipher xts = new XtsCipher(new byte[64], true);
    assertThrows(IllegalArgumentException.class, () -> xts.encrypt(new byte[1024], 0, 100, 0));
    assertThrows(IllegalArgumentException.class, () -> xts.encrypt(new byte[1024], 768, 512, 0));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new XtsCipher(new byte[40], true));
    assertTrue(e.getMessage().contains("not 40"), e.getMessage());
  }
}
