package dev.carryon.cow.crypto;

/**
 * Encrypts and decrypts whole 512-byte sectors in place. The sector number, counted from the
 * start of the container, selects the IV: in qcow2 it is the host offset divided by 512, so the
 * same data at another host offset is different ciphertext. Several threads may use one instance
 * at once.
 */
public interface SectorCipher {
  /** Bytes per sector. */
  int SECTOR = LuksFormat.SECTOR;

  /**
   * Encrypts {@code length} bytes (a multiple of {@link #SECTOR}) of {@code buf} from {@code
   * offset}, the first of which is sector {@code sector}.
   */
  void encrypt(byte[] buf, int offset, int length, long sector);

  /** Decrypts what {@link #encrypt} made of the same sectors. */
  void decrypt(byte[] buf, int offset, int length, long sector);
}
