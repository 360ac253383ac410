package dev.carryon.cow.crypto;

/**
 * Constants of the LUKS1 on-disk format (cryptsetup docs/on-disk-format.pdf, version 1.2.1, as
 * QEMU's crypto/block-luks.c implements it). All numbers are big-endian; offsets are bytes into
 * the 592-byte header unless said otherwise.
 */
final class LuksFormat {
  /** "LUKS\xba\xbe" at byte 0. */
  static final byte[] MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};

  static final int VERSION = 1;

  static final int OFF_MAGIC = 0;
  static final int OFF_VERSION = 6;
  static final int OFF_CIPHER_NAME = 8;
  static final int OFF_CIPHER_MODE = 40;
  static final int OFF_HASH_SPEC = 72;
  /** Start of the payload, in 512-byte sectors from the start of the header. */
  static final int OFF_PAYLOAD_OFFSET = 104;
  /** Bytes of the master key (both XTS keys together). */
  static final int OFF_KEY_BYTES = 108;
  static final int OFF_MK_DIGEST = 112;
  static final int OFF_MK_DIGEST_SALT = 132;
  static final int OFF_MK_DIGEST_ITERATIONS = 164;
  static final int OFF_UUID = 168;
  static final int OFF_KEY_SLOTS = 208;

  static final int NAME_LENGTH = 32;
  static final int DIGEST_LENGTH = 20;
  static final int SALT_LENGTH = 32;
  static final int UUID_LENGTH = 40;

  /** Key slot fields, relative to the slot's start. */
  static final int SLOT_OFF_ACTIVE = 0;
  static final int SLOT_OFF_ITERATIONS = 4;
  static final int SLOT_OFF_SALT = 8;
  /** Start of the slot's key material, in sectors from the start of the header. */
  static final int SLOT_OFF_KEY_MATERIAL = 40;
  static final int SLOT_OFF_STRIPES = 44;
  static final int SLOT_LENGTH = 48;
  static final int KEY_SLOTS = 8;

  /** The header and its key slots: what is read before any key material. */
  static final int HEADER_LENGTH = OFF_KEY_SLOTS + KEY_SLOTS * SLOT_LENGTH;

  static final int SLOT_ENABLED = 0x00ac71f3;
  static final int SLOT_DISABLED = 0x0000dead;

  /** Anti-forensic stripes of a key slot, as cryptsetup and QEMU write them. */
  static final int STRIPES = 4000;
  /** Sector of the header, the key material and the payload's IVs. */
  static final int SECTOR = 512;
  /** Key material starts here and each slot's area is a multiple of it, in bytes. */
  static final int KEY_SLOT_ALIGNMENT = 4096;
  /**
   * Most PBKDF2 iterations of a slot or of the master-key digest this reader runs: QEMU's default
   * (two seconds' worth) makes a few million on today's machines; a crafted header could otherwise
   * keep an unlock busy for hours.
   */
  static final long MAX_ITERATIONS = 100_000_000;
  /**
   * Largest key material of one slot this reader accepts (QEMU writes 256,000 bytes for a
   * 64-byte key): a crafted stripe count cannot make it allocate more.
   */
  static final int MAX_KEY_MATERIAL = 16 << 20;

  /** What {@code encrypt.format=luks} writes by default and the only scheme this engine writes. */
  static final String CIPHER_AES = "aes";
  static final String MODE_XTS = "xts";
  static final String IVGEN_PLAIN64 = "plain64";
  static final String IVGEN_PLAIN = "plain";

  private LuksFormat() {}
}
