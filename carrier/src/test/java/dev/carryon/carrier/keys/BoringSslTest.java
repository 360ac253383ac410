package dev.carryon.carrier.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.Provider;
import java.util.Random;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The native cipher loads on this machine (x86-64 Linux, as CI's), and it is RFC 8439's
 * ChaCha20-Poly1305 byte for byte: a state sealed by one opens with the other, in either direction.
 */
class BoringSslTest {
  private static final SecretKeySpec KEY = new SecretKeySpec(new byte[32], "ChaCha20");
  private static final byte[] AAD = "CARRYON-SEALED-2 header".getBytes();

  /** A fresh cipher of {@code provider}'s each time: both refuse a key and nonce used before. */
  private static byte[] run(Provider provider, int mode, byte[] nonce, byte[] input)
      throws Exception {
    Cipher c = provider == null ? Cipher.getInstance(BoringSsl.CHACHA20_POLY1305)
        : Cipher.getInstance(BoringSsl.CHACHA20_POLY1305, provider);
    c.init(mode, KEY, new IvParameterSpec(nonce));
    c.updateAAD(AAD);
    return c.doFinal(input);
  }

  @Test
  void theNativeCipherLoadsHereAndSealsWhatTheJdksSeals() throws Exception {
    Provider nativeCipher = BoringSsl.provider();
    assertNotNull(nativeCipher, "Conscrypt's BoringSSL did not load on this machine");
    assertEquals("Conscrypt", BoringSsl.chaCha20Poly1305().getProvider().getName());
    Provider jdk = null;
    byte[] plain = new byte[SealedChunks.CHUNK + 3];
    new Random(7).nextBytes(plain);
    byte[] nonce = {0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1};
    byte[] sealed = run(nativeCipher, Cipher.ENCRYPT_MODE, nonce, plain);
    assertArrayEquals(run(jdk, Cipher.ENCRYPT_MODE, nonce, plain), sealed);
    assertArrayEquals(plain, run(jdk, Cipher.DECRYPT_MODE, nonce, sealed));
    assertArrayEquals(plain, run(nativeCipher, Cipher.DECRYPT_MODE, nonce, sealed));
    sealed[100] ^= 1;
    assertThrows(AEADBadTagException.class, () -> run(nativeCipher, Cipher.DECRYPT_MODE, nonce, sealed));
  }
}
