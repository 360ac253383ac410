package dev.carryon.cow.crypto;

import static dev.carryon.cow.crypto.LuksFormat.*;

import dev.carryon.cow.Encryption;
import dev.carryon.cow.ImageFormatException;
import dev.carryon.cow.ImageKeyException;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.UUID;
import javax.crypto.Cipher;

/**
 * A LUKS1 header inside a container (the clusters a qcow2 image's encryption header extension
 * points at): validated when read, unlocked with a secret into the {@link SectorCipher} of the
 * payload, or made anew for a new image.
 */
public final class Luks {
  /** Bytes of the area {@link #create} makes: header and eight key slots of a 64-byte key. */
  public static final int CREATED_AREA_BYTES =
      KEY_SLOT_ALIGNMENT + KEY_SLOTS * alignedMaterialBytes(Encryption.MASTER_KEY_BYTES * STRIPES);

  /** Where AES, the header's hashes and new areas' randomness come from; null: the JDK's. */
  private static volatile Provider provider;

  /** Where the header's area lies, read through the container's storage. */
  private final Storage storage;
  private final long areaOffset;
  private final LuksHeader header;

  private Luks(Storage storage, long areaOffset, LuksHeader header) {
    this.storage = storage;
    this.areaOffset = areaOffset;
    this.header = header;
  }

  /**
   * Takes AES for every image's sectors and key material, the hashes of the headers' PBKDF2 and
   * AF splitter, and the randomness of new areas from {@code provider} from now on (a native one
   * the process has loaded: the same bytes as the JDK's, without the JDK's warm-up in each fresh
   * JVM: about 0.09 s before its AES runs fast, and 0.15-0.2 s of interpreted SHA-256 and
   * SHA1PRNG for each new area, measured); null goes back to the JDK's.
   */
  public static void useProvider(Provider provider) {
    Luks.provider = provider;
  }

  /** The provider {@link #useProvider} chose, or null for the JDK's. */
  static Provider provider() {
    return provider;
  }

  /** A new AES/ECB/NoPadding cipher from the provider {@link #useProvider} chose. */
  static Cipher aesEcb() throws GeneralSecurityException {
    Provider p = provider;
    return p == null ? Cipher.getInstance("AES/ECB/NoPadding")
        : Cipher.getInstance("AES/ECB/NoPadding", p);
  }

  /**
   * A source of randomness for a new area: the chosen provider's (Conscrypt registers BoringSSL's
   * generator under the name SHA1PRNG), else the JDK's default.
   */
  private static SecureRandom newRandom() {
    Provider p = provider;
    if (p != null && p.getService("SecureRandom", "SHA1PRNG") != null) {
      try {
        return SecureRandom.getInstance("SHA1PRNG", p);
      } catch (GeneralSecurityException e) {
        // listed but not made: the JDK's below
      }
    }
    return new SecureRandom();
  }

  /**
   * Reads and validates the LUKS header at {@code areaOffset} of {@code storage}, in an area of
   * {@code areaLength} bytes (which the caller checked lies inside the storage).
   */
  public static Luks read(Storage storage, long areaOffset, long areaLength) throws IOException {
    if (areaLength < HEADER_LENGTH) {
      throw new ImageFormatException(
          storage.path(), "encryption header area (" + areaLength + " bytes) is shorter than a LUKS header ("
              + HEADER_LENGTH + " bytes)");
    }
    ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH);
    storage.readFully(b, areaOffset);
    return new Luks(storage, areaOffset, LuksHeader.read(storage.path(), b, areaLength));
  }

  /**
   * The payload's cipher, from the master key that one of the enabled key slots yields for
   * {@code secret}; refuses a secret that opens none, naming the image.
   */
  public SectorCipher unlock(byte[] secret) throws IOException {
    String problem = secretProblem(secret);
    if (problem != null) {
      throw new ImageKeyException(storage.path(), "the secret cannot unlock an image: " + problem);
    }
    for (LuksHeader.KeySlot slot : header.slots) {
      if (!slot.enabled()) {
        continue;
      }
      byte[] slotKey = Pbkdf2.derive(header.hash, secret, slot.salt, slot.iterations, header.keyBytes);
      byte[] material = new byte[(int) header.keyMaterialBytes(slot)];
      storage.readFully(ByteBuffer.wrap(material), areaOffset + slot.keyMaterialSector * SECTOR);
      new XtsCipher(slotKey, header.plain64).decrypt(material, 0, material.length, 0);
      Arrays.fill(slotKey, (byte) 0);
      byte[] masterKey = AfSplitter.merge(header.hash, material, header.keyBytes, (int) slot.stripes);
      Arrays.fill(material, (byte) 0);
      if (MessageDigest.isEqual(digest(header, masterKey), header.mkDigest)) {
        XtsCipher cipher = new XtsCipher(masterKey, header.plain64);
        Arrays.fill(masterKey, (byte) 0);
        return cipher;
      }
    }
    throw new ImageKeyException(storage.path(), "the secret given unlocks none of the image's LUKS key slots (wrong secret)");
  }

  /**
   * A new LUKS area of {@link #CREATED_AREA_BYTES} bytes as QEMU's {@code encrypt.format=luks}
   * lays it out (aes-256 xts-plain64, sha256, 4000 stripes, slot 0 enabled for the secret, the
   * other seven disabled), holding {@code encryption}'s master key or a random one.
   */
  public static byte[] create(Encryption encryption) {
    SecureRandom random = newRandom();
    LuksHeader h = new LuksHeader(null);
    h.cipherName = CIPHER_AES;
    h.cipherMode = MODE_XTS + "-" + IVGEN_PLAIN64;
    h.hash = HashSpec.SHA256;
    h.plain64 = true;
    h.keyBytes = Encryption.MASTER_KEY_BYTES;
    byte[] masterKey = encryption.masterKey();
    if (masterKey == null) {
      masterKey = new byte[h.keyBytes];
      random.nextBytes(masterKey);
    }
    random.nextBytes(h.mkDigestSalt);
    h.mkDigestIterations = encryption.iterations();
    h.mkDigest = digest(h, masterKey);
    byte[] uuid = new UUID(random.nextLong(), random.nextLong()).toString().getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(uuid, 0, h.uuid, 0, uuid.length);
    int slotSectors = alignedMaterialBytes(h.keyBytes * STRIPES) / SECTOR;
    for (int i = 0; i < KEY_SLOTS; i++) {
      LuksHeader.KeySlot s = h.slots[i];
      s.stripes = STRIPES;
      s.keyMaterialSector = KEY_SLOT_ALIGNMENT / SECTOR + (long) i * slotSectors;
    }
    h.payloadOffsetSectors = CREATED_AREA_BYTES / SECTOR;
    byte[] area = new byte[CREATED_AREA_BYTES];
    LuksHeader.KeySlot slot = h.slots[0];
    slot.active = SLOT_ENABLED;
    slot.iterations = encryption.iterations();
    random.nextBytes(slot.salt);
    byte[] material = AfSplitter.split(h.hash, masterKey, STRIPES, random);
    byte[] secret = encryption.secret();
    byte[] slotKey = Pbkdf2.derive(h.hash, secret, slot.salt, slot.iterations, h.keyBytes);
    Arrays.fill(secret, (byte) 0);
    new XtsCipher(slotKey, true).encrypt(material, 0, material.length, 0);
    Arrays.fill(slotKey, (byte) 0);
    System.arraycopy(material, 0, area, (int) slot.keyMaterialSector * SECTOR, material.length);
    h.encode().get(area, 0, HEADER_LENGTH);
    Arrays.fill(masterKey, (byte) 0);
    return area;
  }

  /**
   * Why {@code secret} cannot be a LUKS secret as QEMU reads one (valid UTF-8, read up to its first
   * NUL), or null when it can.
   */
  public static String secretProblem(byte[] secret) {
    if (secret == null || secret.length == 0) {
      return "it is empty";
    }
    for (byte b : secret) {
      if (b == 0) {
        return "it holds a NUL byte (QEMU would read it only up to there)";
      }
    }
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(secret));
    } catch (CharacterCodingException e) {
      return "it is not valid UTF-8 (QEMU reads LUKS secrets as UTF-8 text)";
    }
    return null;
  }

  /** The master-key digest the header records for {@code masterKey}. */
  private static byte[] digest(LuksHeader h, byte[] masterKey) {
    return Pbkdf2.derive(h.hash, masterKey, h.mkDigestSalt, h.mkDigestIterations, DIGEST_LENGTH);
  }

  /** {@code bytes} rounded up to whole key slot alignment units. */
  private static int alignedMaterialBytes(int bytes) {
    return (bytes + KEY_SLOT_ALIGNMENT - 1) / KEY_SLOT_ALIGNMENT * KEY_SLOT_ALIGNMENT;
  }
}
