package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encrypted images with a damaged encryption header extension or LUKS header: each refused when
 * opened, with or without the secret, with the right error naming the file; a merge into one
 * writes nothing.
 */
class LuksBadInputTest {
  static final int CRYPTO_EXTENSION = 0x0537be77;
  /** LUKS header fields, as cryptsetup's on-disk format places them. */
  static final int CIPHER_NAME = 8;
  static final int CIPHER_MODE = 40;
  static final int HASH_SPEC = 72;
  static final int PAYLOAD_OFFSET = 104;
  static final int KEY_BYTES = 108;
  static final int MK_ITERATIONS = 164;
  static final int SLOTS = 208;
  static final int SLOT = 48;

  @TempDir Path dir;
  Path image;
  Path top;
  /** Byte offset of the encryption header extension's type field. */
  long extension;
  /** Where the LUKS header starts. */
  long luks;

  @BeforeEach
  void images() throws Exception {
    image = dir.resolve("disk.qcow2");
    top = dir.resolve("top.qcow2");
    Qcow2Creator.create(image, 4L << 20, null, null, 65536, 3, Encryption.luks(QemuSecrets.secret(QemuSecrets.ALPHA)));
    Qcow2Creator.create(top, -1, "disk.qcow2", "qcow2", 65536, 3, null);
    try (DiskImage t = DiskImage.open(top, true)) {
      t.write(ByteBuffer.allocate(4096), 65536);
    }
    ByteBuffer header = read(0, 4096);
    for (int at = header.getInt(100); ; at += 8 + (header.getInt(at + 4) + 7) / 8 * 8) {
      if (header.getInt(at) == CRYPTO_EXTENSION) {
        extension = at;
        break;
      }
      assertNotEquals(0, header.getInt(at), "the image has an encryption header extension");
    }
    luks = header.getLong((int) extension + 8);
  }

  // ---- the qcow2 side ----

  @Test
  void legacyAesIsRefused() throws Exception {
    putInt(32, 1);
    expect(UnsupportedImageException.class, "legacy AES-CBC encryption (crypt_method 1) is not supported");
  }

  @Test
  void unknownCryptMethodIsRefused() throws Exception {
    putInt(32, 7);
    expect(UnsupportedImageException.class, "unknown encryption method (crypt_method 7)");
  }

  @Test
  void luksWithoutItsExtensionIsRefused() throws Exception {
    putInt(extension, 0x12345678);
    expect(ImageFormatException.class, "is LUKS-encrypted (crypt_method 2) but has no encryption header extension");
  }

  @Test
  void extensionWithoutLuksIsRefused() throws Exception {
    putInt(32, 0);
    expect(ImageFormatException.class, "has an encryption header extension, but crypt_method is 0");
  }

  @Test
  void extensionOfTheWrongLengthIsRefused() throws Exception {
    putInt(extension + 4, 8);
    expect(ImageFormatException.class, "encryption header extension has 8 bytes, not 16");
  }

  @Test
  void luksAreaPastTheEndOfTheFileIsRefused() throws Exception {
    putLong(extension + 8, 1L << 40);
    expect(ImageFormatException.class, "encryption header (offset 1099511627776, 2068480 bytes) lies past the end of the file");
  }

  @Test
  void luksAreaOverTheL1TableIsRefused() throws Exception {
    putLong(extension + 8, read(40, 8).getLong(0));
    expect(ImageFormatException.class, "encryption header (bytes 196608-2293759) overlaps the L1 table");
  }

  @Test
  void luksAreaShorterThanALuksHeaderIsRefused() throws Exception {
    putLong(extension + 16, 100);
    expect(ImageFormatException.class, "encryption header area (100 bytes) is shorter than a LUKS header (592 bytes)");
  }

  // ---- the LUKS header ----

  @Test
  void badMagic() throws Exception {
    putInt(luks, 0x4c554b00);
    expect(ImageFormatException.class, "corrupt LUKS encryption header: bad magic");
  }

  @Test
  void luks2() throws Exception {
    putShort(luks + 6, 2);
    expect(UnsupportedImageException.class, "LUKS version 2 is not supported");
  }

  @Test
  void otherCipher() throws Exception {
    putString(luks + CIPHER_NAME, "twofish");
    expect(UnsupportedImageException.class, "LUKS cipher twofish-xts-plain64 is not supported");
  }

  @Test
  void otherMode() throws Exception {
    putString(luks + CIPHER_MODE, "cbc-essiv:sha256");
    expect(UnsupportedImageException.class, "LUKS cipher aes-cbc-essiv:sha256 is not supported");
  }

  @Test
  void otherHash() throws Exception {
    putString(luks + HASH_SPEC, "md5");
    expect(UnsupportedImageException.class, "LUKS hash 'md5' is not supported");
  }

  @Test
  void nameWithoutNul() throws Exception {
    putString(luks + CIPHER_NAME, "a".repeat(32));
    expect(ImageFormatException.class, "corrupt LUKS encryption header: cipher name is not NUL-terminated");
  }

  @Test
  void keySizeThatIsNoAesXtsKey() throws Exception {
    putInt(luks + KEY_BYTES, 40);
    expect(UnsupportedImageException.class, "LUKS key size 40 bytes does not fit AES-XTS");
  }

  @Test
  void zeroDigestIterations() throws Exception {
    putInt(luks + MK_ITERATIONS, 0);
    expect(ImageFormatException.class, "master key digest iteration count is zero");
  }

  @Test
  void hostileIterationCounts() throws Exception {
    putInt(slot(0) + 4, -1);
    expect(ImageFormatException.class, "key slot 0 asks for 4294967295 PBKDF2 iterations, more than the 100000000");
    putInt(slot(0) + 4, 1000);
    putInt(luks + MK_ITERATIONS, 200_000_000);
    expect(ImageFormatException.class, "master key digest asks for 200000000 PBKDF2 iterations");
  }

  @Test
  void payloadOverTheHeader() throws Exception {
    putInt(luks + PAYLOAD_OFFSET, 4);
    expect(ImageFormatException.class, "payload offset (4 sectors) overlaps the header (8 sectors)");
  }

  @Test
  void slotState() throws Exception {
    putInt(slot(3), 0x1234);
    expect(ImageFormatException.class, "key slot 3 state 0x1234 is neither enabled nor disabled");
  }

  @Test
  void zeroStripes() throws Exception {
    putInt(slot(0) + 44, 0);
    expect(ImageFormatException.class, "key slot 0 has 0 stripes");
  }

  @Test
  void zeroSlotIterations() throws Exception {
    putInt(slot(0) + 4, 0);
    expect(ImageFormatException.class, "key slot 0 iteration count is zero");
  }

  @Test
  void overlappingSlots() throws Exception {
    putInt(slot(1) + 40, read(slot(0) + 40, 4).getInt(0));
    expect(ImageFormatException.class, "key slots 0 and 1 overlap");
  }

  @Test
  void slotOverThePayload() throws Exception {
    putInt(slot(7) + 40, 4000);
    expect(ImageFormatException.class, "key slot 7 key material (sectors 4000+504) overlaps the payload (from sector 4040)");
  }

  @Test
  void slotMaterialPastTheArea() throws Exception {
    putInt(luks + PAYLOAD_OFFSET, -1);
    putInt(slot(7), 0x00ac71f3);
    putInt(slot(7) + 4, 1000);
    putInt(slot(7) + 40, 100_000);
    expect(ImageFormatException.class, "key slot 7 key material (sector 100000, 256000 bytes) lies past the end of the"
        + " encryption header area (2068480 bytes)");
  }

  @Test
  void slotMaterialTooLargeToAllocate() throws Exception {
    putInt(luks + PAYLOAD_OFFSET, -1);
    putInt(slot(7), 0x00ac71f3);
    putInt(slot(7) + 4, 1000);
    putInt(slot(7) + 44, 300_000);
    expect(ImageFormatException.class, "key slot 7 key material (19200000 bytes, 300000 stripes) is larger than 16777216 bytes");
  }

  /** Damaged key material cannot be told from a wrong secret: both open no slot. */
  @Test
  void damagedKeyMaterialOpensNoSlot() throws Exception {
    long material = luks + 512L * read(slot(0) + 40, 4).getInt(0);
    putInt(material + 4000, read(material + 4000, 4).getInt(0) ^ 1);
    byte[] before = Files.readAllBytes(image);
    ImageKeyException e = assertThrows(ImageKeyException.class,
        () -> DiskImage.open(image, null, true, ImageSecrets.of(QemuSecrets.secret(QemuSecrets.ALPHA))).close());
    assertEquals(image + ": the secret given unlocks none of the image's LUKS key slots (wrong secret)", e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(image));
  }

  /**
   * Opening refuses the image with or without the secret; a merge into it (the top's secrets
   * given) writes nothing.
   */
  private void expect(Class<? extends ImageException> type, String problem) throws Exception {
    byte[] before = Files.readAllBytes(image);
    ImageSecrets secrets = QemuSecrets.engine(image, QemuSecrets.ALPHA);
    for (ImageSecrets s : new ImageSecrets[] {ImageSecrets.NONE, secrets}) {
      ImageException e = assertThrows(type, () -> DiskImage.open(image, null, true, s).close());
      assertTrue(e.getMessage().startsWith(image + ": "), e.getMessage());
      assertTrue(e.getMessage().contains(problem), "expected '" + problem + "' in: " + e.getMessage());
    }
    assertThrows(type, () -> Merger.merge(top, image, secrets, ProgressListener.NONE));
    assertArrayEquals(before, Files.readAllBytes(image), "nothing written");
  }

  private long slot(int i) {
    return luks + SLOTS + (long) i * SLOT;
  }

  private ByteBuffer read(long at, int length) throws IOException {
    try (FileChannel f = FileChannel.open(image)) {
      ByteBuffer b = ByteBuffer.allocate(length);
      f.read(b, at);
      return b;
    }
  }

  private void put(long at, ByteBuffer b) throws IOException {
    try (FileChannel f = FileChannel.open(image, StandardOpenOption.WRITE)) {
      f.write(b.rewind(), at);
    }
  }

  private void putInt(long at, int v) throws IOException {
    put(at, ByteBuffer.allocate(4).putInt(0, v));
  }

  private void putShort(long at, int v) throws IOException {
    put(at, ByteBuffer.allocate(2).putShort(0, (short) v));
  }

  private void putLong(long at, long v) throws IOException {
    put(at, ByteBuffer.allocate(8).putLong(0, v));
  }

  /** A 32-byte name field: the string, NUL-padded (none when it fills the field). */
  private void putString(long at, String s) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(32);
    b.put(s.getBytes(StandardCharsets.US_ASCII));
    put(at, b);
  }
}
