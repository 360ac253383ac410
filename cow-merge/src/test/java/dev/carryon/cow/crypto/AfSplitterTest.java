package dev.carryon.cow.crypto;

import static org.junit.jupiter.api.Assertions.*;

import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link AfSplitter}: what it splits it merges back, with every hash and key size, and a changed
 * stripe loses the key (QEMU's own merge of our split is proven by the LUKS oracle tests).
 */
class AfSplitterTest {
  @Test
  void splitThenMergeGivesTheKeyBack() {
    SecureRandom random = new SecureRandom();
    for (HashSpec hash : HashSpec.values()) {
      for (int keyLength : new int[] {32, 48, 64}) {
        byte[] key = new byte[keyLength];
        random.nextBytes(key);
        byte[] material = AfSplitter.split(hash, key, 4000, random);
        assertEquals(keyLength * 4000, material.length);
        assertArrayEquals(key, AfSplitter.merge(hash, material, keyLength, 4000), hash + ", " + keyLength + " bytes");
        material[1234] ^= 1;
        assertFalse(Arrays.equals(key, AfSplitter.merge(hash, material, keyLength, 4000)), "one flipped bit loses the key");
      }
    }
  }
}
