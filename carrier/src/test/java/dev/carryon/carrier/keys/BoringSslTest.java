package dev.carryon.carrier.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.carryon.cow.Encryption;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.Qcow2Creator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native cipher loads on this machine (x86-64 Linux, as CI's), and it is RFC 8439's
 * ChaCha20-Poly1305 byte for byte: a state sealed by one opens with the other, in either direction;
 * the encrypted images made with its AES, hashes and randomness are what QEMU opens.
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

  @Test
  void encryptedImagesMadeWithItOpenInQemu(@TempDir Path dir) throws Exception {
    assertNotNull(BoringSsl.provider(), "Conscrypt's BoringSSL did not load on this machine");
    byte[] secret = "boringssl-test-secret".getBytes(StandardCharsets.UTF_8);
    Path image = dir.resolve("native.qcow2");
    Qcow2Creator.create(image, 1 << 20, null, null, 65536, 3, Encryption.luks(secret));
    Path secretFile = dir.resolve("secret");
    Files.write(secretFile, secret);
    Process qemuIo =
        new ProcessBuilder(
                "qemu-io", "--object", "secret,id=k,file=" + secretFile, "--image-opts",
                "driver=qcow2,file.filename=" + image + ",encrypt.key-secret=k",
                "-c", "write -P 0x5a 4096 65536", "-c", "read -P 0x5a 4096 65536")
            .redirectErrorStream(true)
            .start();
    String said = new String(qemuIo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, qemuIo.waitFor(), "qemu-io on an image made with BoringSSL said:\n" + said);
    assertEquals(-1, said.indexOf("fail"), said);
    try (ImageChain chain = ImageChain.open(image, null, path -> secret.clone())) {
      ByteBuffer read = ByteBuffer.allocate(65536);
      chain.read(read, 4096);
      byte[] expected = new byte[65536];
      Arrays.fill(expected, (byte) 0x5a);
      assertArrayEquals(expected, read.array(), "what QEMU wrote, read back by the engine");
    }
  }
}
