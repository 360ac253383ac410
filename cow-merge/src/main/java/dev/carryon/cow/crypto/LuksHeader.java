package dev.carryon.cow.crypto;

import static dev.carryon.cow.crypto.LuksFormat.*;

import dev.carryon.cow.ImageFormatException;
import dev.carryon.cow.UnsupportedImageException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The LUKS1 partition header and its eight key slots (592 bytes, big-endian):
 *
 * <pre>
 *   0   magic "LUKS\xba\xbe"      6 version (1)          8 cipher_name[32]   40 cipher_mode[32]
 *   72  hash_spec[32]           104 payload_offset     108 key_bytes        112 mk_digest[20]
 *   132 mk_digest_salt[32]      164 mk_digest_iter     168 uuid[40]
 *   208 key slot i at 208 + 48 i: active, iterations, salt[32], key_material_offset, stripes
 * </pre>
 *
 * Strings are NUL-terminated inside their fields. Offsets of key material and payload count
 * 512-byte sectors from the start of the header. {@link #read} validates as QEMU's
 * qcrypto_block_luks_check_header and parse_header do, and bounds every key material area by the
 * space the container gives the header, before anything is allocated for it.
 */
final class LuksHeader {
  /** The container, for messages; null for a header being made. */
  final Path file;
  String cipherName;
  /** The whole mode, e.g. "xts-plain64". */
  String cipherMode;
  HashSpec hash;
  /** Whether the IV generator is plain64 (else plain). */
  boolean plain64;
  int payloadOffsetSectors;
  int keyBytes;
  byte[] mkDigest = new byte[DIGEST_LENGTH];
  byte[] mkDigestSalt = new byte[SALT_LENGTH];
  long mkDigestIterations;
  byte[] uuid = new byte[UUID_LENGTH];
  final KeySlot[] slots = new KeySlot[KEY_SLOTS];

  /** One key slot; {@code keyMaterialSector} counts sectors from the start of the header. */
  static final class KeySlot {
    int active = SLOT_DISABLED;
    long iterations;
    byte[] salt = new byte[SALT_LENGTH];
    long keyMaterialSector;
    long stripes;

    boolean enabled() {
      return active == SLOT_ENABLED;
    }
  }

  LuksHeader(Path file) {
    this.file = file;
    for (int i = 0; i < KEY_SLOTS; i++) {
      slots[i] = new KeySlot();
    }
  }

  /** Bytes of one slot's key material: the key times its stripes. */
  long keyMaterialBytes(KeySlot slot) {
    return keyBytes * slot.stripes;
  }

  /** Sectors a slot's key material occupies, rounded up as cryptsetup lays slots out. */
  long keyMaterialSectors(KeySlot slot) {
    long sectors = (keyMaterialBytes(slot) + SECTOR - 1) / SECTOR;
    long align = KEY_SLOT_ALIGNMENT / SECTOR;
    return (sectors + align - 1) / align * align;
  }

  /**
   * Parses and validates the header in {@code b} (at least {@link LuksFormat#HEADER_LENGTH}
   * bytes) of a LUKS area of {@code areaLength} bytes in {@code file}.
   */
  static LuksHeader read(Path file, ByteBuffer b, long areaLength) throws ImageFormatException, UnsupportedImageException {
    LuksHeader h = new LuksHeader(file);
    byte[] magic = new byte[MAGIC.length];
    get(b, OFF_MAGIC, magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw h.corrupt("bad magic (not a LUKS header)");
    }
    int version = b.getShort(OFF_VERSION) & 0xffff;
    if (version != VERSION) {
      throw new UnsupportedImageException(file, "LUKS version " + version + " is not supported (only LUKS1)");
    }
    h.cipherName = string(h, b, OFF_CIPHER_NAME, "cipher name");
    h.cipherMode = string(h, b, OFF_CIPHER_MODE, "cipher mode");
    String hashName = string(h, b, OFF_HASH_SPEC, "hash spec");
    h.payloadOffsetSectors = b.getInt(OFF_PAYLOAD_OFFSET);
    h.keyBytes = b.getInt(OFF_KEY_BYTES);
    get(b, OFF_MK_DIGEST, h.mkDigest);
    get(b, OFF_MK_DIGEST_SALT, h.mkDigestSalt);
    h.mkDigestIterations = b.getInt(OFF_MK_DIGEST_ITERATIONS) & 0xffffffffL;
    get(b, OFF_UUID, h.uuid);
    for (int i = 0; i < KEY_SLOTS; i++) {
      int at = OFF_KEY_SLOTS + i * SLOT_LENGTH;
      KeySlot s = h.slots[i];
      s.active = b.getInt(at + SLOT_OFF_ACTIVE);
      s.iterations = b.getInt(at + SLOT_OFF_ITERATIONS) & 0xffffffffL;
      get(b, at + SLOT_OFF_SALT, s.salt);
      s.keyMaterialSector = b.getInt(at + SLOT_OFF_KEY_MATERIAL) & 0xffffffffL;
      s.stripes = b.getInt(at + SLOT_OFF_STRIPES) & 0xffffffffL;
    }
    h.validateScheme(hashName);
    h.validateLayout(areaLength);
    return h;
  }

  /** Cipher, mode, IV generator, hash and key size: what this engine can decrypt. */
  private void validateScheme(String hashName) throws UnsupportedImageException {
    int dash = cipherMode.indexOf('-');
    if (dash < 0) {
      throw new UnsupportedImageException(file, "LUKS cipher mode '" + cipherMode + "' has no IV generator (expected e.g. xts-plain64)");
    }
    String mode = cipherMode.substring(0, dash);
    String ivgen = cipherMode.substring(dash + 1);
    // As in QEMU and dm-crypt, a hash after plain/plain64 ("xts-plain64:sha256") is ignored.
    int colon = ivgen.indexOf(':');
    if (colon >= 0) {
      ivgen = ivgen.substring(0, colon);
    }
    if (!cipherName.equals(CIPHER_AES) || !mode.equals(MODE_XTS)
        || !(ivgen.equals(IVGEN_PLAIN64) || ivgen.equals(IVGEN_PLAIN))) {
      throw new UnsupportedImageException(
          file, "LUKS cipher " + cipherName + "-" + cipherMode + " is not supported (aes-xts-plain64, QEMU's"
              + " default, and aes-xts-plain are)");
    }
    plain64 = ivgen.equals(IVGEN_PLAIN64);
    if (keyBytes != 32 && keyBytes != 48 && keyBytes != 64) {
      throw new UnsupportedImageException(
          file, "LUKS key size " + keyBytes + " bytes does not fit AES-XTS (32, 48 or 64)");
    }
    hash = HashSpec.byName(hashName);
    if (hash == null) {
      throw new UnsupportedImageException(
          file, "LUKS hash '" + hashName + "' is not supported (sha1, sha224, sha256, sha384, sha512)");
    }
  }

  /**
   * QEMU's checks (iterations, slot states, slots inside the payload offset and apart from the
   * header and from each other), then: iteration counts and the key material of every enabled
   * slot are of a size this reader runs and allocates, the material inside the area the container
   * gives.
   */
  private void validateLayout(long areaLength) throws ImageFormatException {
    long headerSectors = KEY_SLOT_ALIGNMENT / SECTOR;
    long payload = payloadOffsetSectors & 0xffffffffL;
    if (payload < headerSectors) {
      throw corrupt("payload offset (" + payload + " sectors) overlaps the header (" + headerSectors + " sectors)");
    }
    if (mkDigestIterations == 0) {
      throw corrupt("master key digest iteration count is zero");
    }
    if (mkDigestIterations > MAX_ITERATIONS) {
      throw corrupt("master key digest asks for " + mkDigestIterations + " PBKDF2 iterations, more than the "
          + MAX_ITERATIONS + " this reader runs");
    }
    for (int i = 0; i < KEY_SLOTS; i++) {
      KeySlot s = slots[i];
      String slot = "key slot " + i;
      if (s.stripes == 0) {
        throw corrupt(slot + " has 0 stripes");
      }
      if (s.active != SLOT_ENABLED && s.active != SLOT_DISABLED) {
        throw corrupt(slot + " state 0x" + Integer.toHexString(s.active) + " is neither enabled nor disabled");
      }
      if (s.enabled() && s.iterations == 0) {
        throw corrupt(slot + " iteration count is zero");
      }
      if (s.enabled() && s.iterations > MAX_ITERATIONS) {
        throw corrupt(slot + " asks for " + s.iterations + " PBKDF2 iterations, more than the " + MAX_ITERATIONS
            + " this reader runs");
      }
      if (s.keyMaterialSector < headerSectors) {
        throw corrupt(slot + " key material (sector " + s.keyMaterialSector + ") overlaps the header");
      }
      if (s.keyMaterialSector + keyMaterialSectors(s) > payload) {
        throw corrupt(slot + " key material (sectors " + s.keyMaterialSector + "+" + keyMaterialSectors(s)
            + ") overlaps the payload (from sector " + payload + ")");
      }
      for (int j = i + 1; j < KEY_SLOTS; j++) {
        KeySlot t = slots[j];
        if (s.keyMaterialSector < t.keyMaterialSector + keyMaterialSectors(t)
            && t.keyMaterialSector < s.keyMaterialSector + keyMaterialSectors(s)) {
          throw corrupt("key slots " + i + " and " + j + " overlap");
        }
      }
      if (s.enabled()) {
        if (keyMaterialBytes(s) > MAX_KEY_MATERIAL) {
          throw corrupt(slot + " key material (" + keyMaterialBytes(s) + " bytes, " + s.stripes
              + " stripes) is larger than " + MAX_KEY_MATERIAL + " bytes");
        }
        if (keyMaterialBytes(s) % SECTOR != 0) {
          throw corrupt(slot + " key material (" + keyMaterialBytes(s) + " bytes) is not whole sectors");
        }
        if (s.keyMaterialSector * SECTOR + keyMaterialBytes(s) > areaLength) {
          throw corrupt(slot + " key material (sector " + s.keyMaterialSector + ", " + keyMaterialBytes(s)
              + " bytes) lies past the end of the encryption header area (" + areaLength + " bytes)");
        }
      }
    }
  }

  /** The 592-byte header. */
  ByteBuffer encode() {
    ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH);
    put(b, OFF_MAGIC, MAGIC);
    b.putShort(OFF_VERSION, (short) VERSION);
    putString(b, OFF_CIPHER_NAME, cipherName);
    putString(b, OFF_CIPHER_MODE, cipherMode);
    putString(b, OFF_HASH_SPEC, hash.luksName);
    b.putInt(OFF_PAYLOAD_OFFSET, payloadOffsetSectors);
    b.putInt(OFF_KEY_BYTES, keyBytes);
    put(b, OFF_MK_DIGEST, mkDigest);
    put(b, OFF_MK_DIGEST_SALT, mkDigestSalt);
    b.putInt(OFF_MK_DIGEST_ITERATIONS, (int) mkDigestIterations);
    put(b, OFF_UUID, uuid);
    for (int i = 0; i < KEY_SLOTS; i++) {
      int at = OFF_KEY_SLOTS + i * SLOT_LENGTH;
      KeySlot s = slots[i];
      b.putInt(at + SLOT_OFF_ACTIVE, s.active);
      b.putInt(at + SLOT_OFF_ITERATIONS, (int) s.iterations);
      put(b, at + SLOT_OFF_SALT, s.salt);
      b.putInt(at + SLOT_OFF_KEY_MATERIAL, (int) s.keyMaterialSector);
      b.putInt(at + SLOT_OFF_STRIPES, (int) s.stripes);
    }
    return b;
  }

  ImageFormatException corrupt(String problem) {
    return new ImageFormatException(file, "corrupt LUKS encryption header: " + problem);
  }

  /** The NUL-terminated string of a 32-byte field; a field without NUL is refused, as QEMU does. */
  private static String string(LuksHeader h, ByteBuffer b, int offset, String what) throws ImageFormatException {
    byte[] field = new byte[NAME_LENGTH];
    get(b, offset, field);
    int end = 0;
    while (end < field.length && field[end] != 0) {
      end++;
    }
    if (end == field.length) {
      throw h.corrupt(what + " is not NUL-terminated");
    }
    return new String(field, 0, end, StandardCharsets.US_ASCII);
  }

  private static void putString(ByteBuffer b, int offset, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
    if (bytes.length >= NAME_LENGTH) {
      throw new IllegalArgumentException("'" + s + "' does not fit a LUKS name field (" + NAME_LENGTH + " bytes with its NUL)");
    }
    put(b, offset, bytes);
  }

  private static void get(ByteBuffer b, int offset, byte[] into) {
    for (int i = 0; i < into.length; i++) {
      into[i] = b.get(offset + i);
    }
  }

  private static void put(ByteBuffer b, int offset, byte[] from) {
    for (int i = 0; i < from.length; i++) {
      b.put(offset + i, from[i]);
    }
  }
}
