package dev.carryon.cow.crypto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-XTS (IEEE 1619-2007) over 512-byte sectors, built on AES in ECB mode (the JDK's, or the
 * native one {@link Luks#useProvider} installed; neither has XTS): the first half of the key encrypts
 * the data, the second half the tweak; the tweak of a sector is its IV encrypted, multiplied by x
 * in GF(2^128) for each following 16-byte block. Sectors are whole blocks, so ciphertext stealing
 * never arises.
 *
 * <p>To keep AES (the JDK's AES-NI intrinsics, or the native code behind one JNI call) busy with
 * long runs, a call computes the tweaks of all its sectors first, then XORs, encrypts the whole
 * run in one ECB call into a buffer of its own (in place, the JDK would copy the input first) and
 * XORs again on the way back. Thread-safe: each thread works with its own AES instances and buffers.
 */
final class XtsCipher implements SectorCipher {
  private static final int BLOCK = 16;
  /** Sectors handled per pass; bounds the tweak buffer. */
  private static final int RUN_SECTORS = 512;

  /** The data key followed by the tweak key. */
  private final byte[] key;
  /** IV generator: plain64 (sector as 64 bits) or plain (its low 32 bits), little-endian. */
  private final boolean plain64;
  /** Each thread's AES instances and buffers. */
  private final ThreadLocal<Pass> passes = new ThreadLocal<>();

  /**
   * @param key the data key followed by the tweak key (32, 48 or 64 bytes: AES-128, -192, -256)
   * @param plain64 whether the IV holds the whole sector number (else its low 32 bits)
   */
  XtsCipher(byte[] key, boolean plain64) {
    if (key.length != 32 && key.length != 48 && key.length != 64) {
      throw new IllegalArgumentException("an AES-XTS key has 32, 48 or 64 bytes, not " + key.length);
    }
    this.key = key.clone();
    this.plain64 = plain64;
  }

  @Override
  public void encrypt(byte[] buf, int offset, int length, long sector) {
    pass().run(true, buf, offset, length, sector);
  }

  @Override
  public void decrypt(byte[] buf, int offset, int length, long sector) {
    pass().run(false, buf, offset, length, sector);
  }

  private Pass pass() {
    Pass p = passes.get();
    if (p == null) {
      p = new Pass();
      passes.set(p);
    }
    return p;
  }

  /** One thread's ciphers and the tweaks of its current run. */
  private final class Pass {
    private final Cipher dataEncrypt;
    private final Cipher dataDecrypt;
    private final Cipher tweakEncrypt;
    /** Tweaks of the current run, one per 16-byte block. */
    private final byte[] tweaks = new byte[RUN_SECTORS * SECTOR];
    private final ByteBuffer tweakView = ByteBuffer.wrap(tweaks).order(ByteOrder.LITTLE_ENDIAN);
    /** The run after AES, before the second XOR. */
    private final byte[] crypted = new byte[RUN_SECTORS * SECTOR];
    private final ByteBuffer cryptedView = ByteBuffer.wrap(crypted).order(ByteOrder.LITTLE_ENDIAN);
    /** The IVs of the current run, one block per sector, and the same encrypted. */
    private final byte[] ivs = new byte[RUN_SECTORS * BLOCK];
    private final byte[] encryptedIvs = new byte[RUN_SECTORS * BLOCK];
    private final ByteBuffer ivView = ByteBuffer.wrap(ivs).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer encryptedIvView = ByteBuffer.wrap(encryptedIvs).order(ByteOrder.LITTLE_ENDIAN);

    Pass() {
      int half = key.length / 2;
      SecretKeySpec data = new SecretKeySpec(key, 0, half, "AES");
      SecretKeySpec tweak = new SecretKeySpec(key, half, half, "AES");
      try {
        dataEncrypt = Luks.aesEcb();
        dataEncrypt.init(Cipher.ENCRYPT_MODE, data);
        dataDecrypt = Luks.aesEcb();
        dataDecrypt.init(Cipher.DECRYPT_MODE, data);
        tweakEncrypt = Luks.aesEcb();
        tweakEncrypt.init(Cipher.ENCRYPT_MODE, tweak);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES/ECB/NoPadding is unusable", e);
      }
    }

    void run(boolean encrypt, byte[] buf, int offset, int length, long sector) {
      if (length % SECTOR != 0 || offset < 0 || length < 0 || offset > buf.length - length) {
        throw new IllegalArgumentException(
            "XTS works on whole sectors inside the buffer: " + length + " bytes at " + offset + " of " + buf.length);
      }
      Cipher data = encrypt ? dataEncrypt : dataDecrypt;
      for (int done = 0; done < length; ) {
        int n = Math.min(length - done, tweaks.length);
        int at = offset + done;
        makeTweaks(sector + done / SECTOR, n / SECTOR);
        ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i += 8) {
          b.putLong(at + i, b.getLong(at + i) ^ tweakView.getLong(i));
        }
        crypt(data, buf, at, n, crypted);
        for (int i = 0; i < n; i += 8) {
          b.putLong(at + i, cryptedView.getLong(i) ^ tweakView.getLong(i));
        }
        done += n;
      }
    }

    /** Fills {@link #tweaks} for {@code count} sectors from {@code first}. */
    private void makeTweaks(long first, int count) {
      for (int s = 0; s < count; s++) {
        long n = first + s;
        ivView.putLong(s * BLOCK, plain64 ? n : n & 0xffffffffL);
        ivView.putLong(s * BLOCK + 8, 0);
      }
      crypt(tweakEncrypt, ivs, 0, count * BLOCK, encryptedIvs);
      for (int s = 0; s < count; s++) {
        long lo = encryptedIvView.getLong(s * BLOCK);
        long hi = encryptedIvView.getLong(s * BLOCK + 8);
        for (int b = s * SECTOR, end = b + SECTOR; b < end; b += BLOCK) {
          tweakView.putLong(b, lo);
          tweakView.putLong(b + 8, hi);
          // Times x in GF(2^128), byte 0 least significant: shift left, reduce by x^128 = x^7+x^2+x+1.
          long carry = hi >> 63;
          hi = (hi << 1) | (lo >>> 63);
          lo = (lo << 1) ^ (carry & 0x87);
        }
      }
    }
  }

  /** AES-ECB of {@code n} bytes of {@code buf} from {@code at} into the start of {@code out}. */
  private static void crypt(Cipher cipher, byte[] buf, int at, int n, byte[] out) {
    try {
      cipher.doFinal(buf, at, n, out, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/ECB failed on " + n + " bytes", e);
    }
  }
}
