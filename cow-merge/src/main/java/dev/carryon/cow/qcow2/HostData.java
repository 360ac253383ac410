package dev.carryon.cow.qcow2;

import dev.carryon.cow.crypto.SectorCipher;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Guest data at host offsets of one image: stored as is, or, in an encrypted image, through its
 * sector cipher, whose IV is the host sector (so data moved to another host offset is encrypted
 * again, never copied as ciphertext). Encrypted I/O works on whole 512-byte sectors: a write that
 * covers part of a sector first reads and decrypts the sector, as QEMU's block layer does. The
 * metadata never passes through here: it is never encrypted. Reads may run on several threads at
 * once (never alongside a write).
 */
final class HostData {
  /** Bytes encrypted or decrypted per step; bounds the scratch buffer. */
  private static final int STEP = 256 << 10;
  private static final int SECTOR = SectorCipher.SECTOR;

  private final Storage storage;
  /** The payload cipher; null for an image that is not encrypted. */
  private final SectorCipher cipher;
  /** Each thread's sectors on their way to or from the cipher (reads may run on several threads). */
  private final ThreadLocal<byte[]> scratch = new ThreadLocal<>();

  HostData(Storage storage, SectorCipher cipher) {
    this.storage = storage;
    this.cipher = cipher;
  }

  /**
   * Reads {@code dst.remaining()} bytes of guest data stored at {@code host}. Bytes past the end
   * of the file read as stored zeros (a data cluster may end past it), as in QEMU.
   */
  void read(ByteBuffer dst, long host) throws IOException {
    if (cipher == null) {
      readStored(dst, host);
      return;
    }
    long at = host;
    while (dst.hasRemaining()) {
      long first = at - at % SECTOR;
      int skip = (int) (at - first);
      int n = (int) Math.min(dst.remaining(), STEP - skip);
      int span = roundUp(skip + n);
      byte[] s = scratch();
      readStored(ByteBuffer.wrap(s, 0, span), first);
      cipher.decrypt(s, 0, span, first / SECTOR);
      dst.put(s, skip, n);
      at += n;
    }
  }

  /** Writes the guest data in {@code src} to {@code host}, consuming {@code src}. */
  void write(ByteBuffer src, long host) throws IOException {
    if (cipher == null) {
      storage.write(src, host);
      return;
    }
    long at = host;
    while (src.hasRemaining()) {
      long first = at - at % SECTOR;
      int skip = (int) (at - first);
      int n = (int) Math.min(src.remaining(), STEP - skip);
      int span = roundUp(skip + n);
      byte[] s = scratch();
      if (skip != 0 || span != n) {
        // Part of a sector: keep the rest of what it holds.
        readStored(ByteBuffer.wrap(s, 0, span), first);
        cipher.decrypt(s, 0, span, first / SECTOR);
      }
      src.get(s, skip, n);
      cipher.encrypt(s, 0, span, first / SECTOR);
      storage.write(ByteBuffer.wrap(s, 0, span), first);
      at += n;
    }
  }

  private void readStored(ByteBuffer part, long host) throws IOException {
    long at = host;
    while (part.hasRemaining()) {
      int n = storage.read(part, at);
      if (n < 0) {
        Qcow2Image.fillZeros(part);
        return;
      }
      at += n;
    }
  }

  /** This thread's scratch buffer; every span is at most {@link #STEP} bytes. */
  private byte[] scratch() {
    byte[] s = scratch.get();
    if (s == null) {
      s = new byte[STEP];
      scratch.set(s);
    }
    return s;
  }

  private static int roundUp(int bytes) {
    return (bytes + SECTOR - 1) / SECTOR * SECTOR;
  }
}
