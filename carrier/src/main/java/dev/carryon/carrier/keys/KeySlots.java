package dev.carryon.carrier.keys;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.CarrierException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An encrypted carrier's key slots ({@value #FILE}): the master key ({@link CarrierKey}) wrapped
 * once per passphrase, so a passphrase changes by rewriting this small file and nothing else.
 *
 * <pre>{@code
 * {"format": "carryon-keys", "version": 1,
 *  "slots": [{"kdf": "argon2id", "memoryKiB": 65536, "iterations": 3, "parallelism": 1,
 *             "salt": "<32 hex>", "nonce": "<24 hex>", "wrapped": "<96 hex>"}]}
 * }</pre>
 *
 * A slot's key is Argon2id (RFC 9106) of the passphrase (UTF-8) with the slot's salt and
 * parameters; it seals the master key with AES-256-GCM, the parameters bound in as associated
 * data, so a wrong passphrase, a changed parameter or a flipped bit all fail the tag. New slots use
 * {@link #MEMORY_KIB} KiB, {@link #ITERATIONS} passes, one lane: RFC 9106's recommendation for
 * machines without much memory (64 MiB, t=3), which a phone-sized host still affords (0.31-0.49 s
 * in a fresh JVM on the 2-core test machine, {@link Argon2id}); one lane, as {@link Argon2id}
 * computes lanes one after another (lanes on threads would take two busy cores from a resume and
 * buy an attacker's parallel hardware nothing). Parameters read from a carrier are held to bounds
 * before any memory is taken: a carrier is untrusted input.
 */
public final class KeySlots {
  /** The file, beside the manifest. */
  public static final String FILE = "carryon.keys";

  /** Argon2id memory of new slots, in KiB. */
  static final int MEMORY_KIB = 64 * 1024;
  /** Argon2id passes of new slots. */
  static final int ITERATIONS = 3;

  private static final String FORMAT = "carryon-keys";
  private static final int VERSION = 1;
  private static final String KDF = "argon2id";
  private static final int MIN_MEMORY_KIB = 8 * 1024;
  private static final int MAX_MEMORY_KIB = 1024 * 1024;
  private static final int MAX_ITERATIONS = 64;
  private static final int MAX_PARALLELISM = 16;
  private static final int MAX_SLOTS = 8;
  private static final int SALT = 16;
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private static final Set<String> SLOT_FIELDS =
      Set.of("kdf", "memoryKiB", "iterations", "parallelism", "salt", "nonce", "wrapped");

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(SerializationFeature.INDENT_OUTPUT);
  private static final HexFormat HEX = HexFormat.of();

  /** One wrapped copy of the master key. */
  record Slot(int memoryKiB, int iterations, int parallelism, byte[] salt, byte[] nonce,
      byte[] wrapped) {}

  /** The slots, in file order. */
  private final List<Slot> slots;

  private KeySlots(List<Slot> slots) {
    this.slots = List.copyOf(slots);
  }

  /** A fresh random master key wrapped for {@code passphrase}, in one slot. */
  public static KeySlots create(char[] passphrase) {
    return new KeySlots(List.of(wrap(CarrierKey.random(), passphrase)));
  }

  /** The master key, from the first slot {@code passphrase} opens; {@code source} names the file. */
  public CarrierKey unlock(char[] passphrase, String source) throws CarrierException {
    for (Slot s : slots) {
      byte[] kek = stretch(passphrase, s);
      try {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"),
            new GCMParameterSpec(TAG_BITS, s.nonce()));
        c.updateAAD(associatedData(s));
        return new CarrierKey(c.doFinal(s.wrapped()));
      } catch (AEADBadTagException e) {
        // not this slot's passphrase
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-GCM is missing from this JVM", e);
      } finally {
        Arrays.fill(kek, (byte) 0);
      }
    }
    throw new CarrierException(
        source + ": wrong passphrase (it opens none of the " + slots.size() + " key slot"
            + (slots.size() == 1 ? "" : "s") + ")");
  }

  /** These slots with every one {@code old} opens replaced by one for {@code next}. */
  public KeySlots rewrap(char[] old, char[] next, String source) throws CarrierException {
    CarrierKey key = unlock(old, source);
    return new KeySlots(List.of(wrap(key, next)));
  }

  /** How many slots there are. */
  int size() {
    return slots.size();
  }

  /** The file's bytes. */
  public byte[] encode() {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("format", FORMAT);
    o.put("version", VERSION);
    ArrayNode a = o.putArray("slots");
    for (Slot s : slots) {
      a.addObject()
          .put("kdf", KDF)
          .put("memoryKiB", s.memoryKiB())
          .put("iterations", s.iterations())
          .put("parallelism", s.parallelism())
          .put("salt", HEX.formatHex(s.salt()))
          .put("nonce", HEX.formatHex(s.nonce()))
          .put("wrapped", HEX.formatHex(s.wrapped()));
    }
    try {
      return (MAPPER.writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a JSON tree", e);
    }
  }

  /** Reads a key slots file; {@code source} names it in the error of anything malformed. */
  public static KeySlots parse(byte[] bytes, String source) throws CarrierException {
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new CarrierException(source + ": not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject() || !FORMAT.equals(root.path("format").asText(null))) {
      throw new CarrierException(source + ": not a carryon key slots file (no \"format\": \""
          + FORMAT + "\")");
    }
    if (!root.path("version").isInt() || root.get("version").intValue() != VERSION) {
      throw new CarrierException(source + ": key slots version " + root.path("version")
          + " is not supported (this carryon reads version " + VERSION + ")");
    }
    onlyFields(root, Set.of("format", "version", "slots"), source, "");
    JsonNode array = root.path("slots");
    if (!array.isArray() || array.isEmpty() || array.size() > MAX_SLOTS) {
      throw new CarrierException(
          source + ": slots must be a list of 1 to " + MAX_SLOTS + " key slots");
    }
    List<Slot> slots = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      slots.add(readSlot(array.get(i), source, "slots[" + i + "]"));
    }
    return new KeySlots(slots);
  }

  private static Slot readSlot(JsonNode s, String source, String at) throws CarrierException {
    if (!s.isObject()) {
      throw new CarrierException(source + ": " + at + " is not an object");
    }
    onlyFields(s, SLOT_FIELDS, source, at + ".");
    if (!KDF.equals(s.path("kdf").asText(null))) {
      throw new CarrierException(source + ": " + at + ".kdf " + s.path("kdf")
          + " is not one this carryon knows (\"" + KDF + "\")");
    }
    return new Slot(
        bounded(s, "memoryKiB", MIN_MEMORY_KIB, MAX_MEMORY_KIB, source, at),
        bounded(s, "iterations", 1, MAX_ITERATIONS, source, at),
        bounded(s, "parallelism", 1, MAX_PARALLELISM, source, at),
        hex(s, "salt", SALT, source, at),
        hex(s, "nonce", NONCE, source, at),
        hex(s, "wrapped", CarrierKey.LENGTH + TAG_BITS / 8, source, at));
  }

  private static void onlyFields(JsonNode o, Set<String> known, String source, String at)
      throws CarrierException {
    for (Iterator<String> names = o.fieldNames(); names.hasNext(); ) {
      String n = names.next();
      if (!known.contains(n)) {
        throw new CarrierException(source + ": unknown field " + at + n);
      }
    }
  }

  private static int bounded(JsonNode s, String field, int min, int max, String source, String at)
      throws CarrierException {
    JsonNode v = s.path(field);
    if (!v.isInt() || v.intValue() < min || v.intValue() > max) {
      throw new CarrierException(source + ": " + at + "." + field + " (" + v
          + ") must be a whole number from " + min + " to " + max);
    }
    return v.intValue();
  }

  private static byte[] hex(JsonNode s, String field, int length, String source, String at)
      throws CarrierException {
    JsonNode v = s.path(field);
    if (!v.isTextual() || v.textValue().length() != 2 * length
        || !v.textValue().matches("[0-9a-f]*")) {
      throw new CarrierException(source + ": " + at + "." + field + " must be " + length
          + " bytes in lower-case hex");
    }
    return HEX.parseHex(v.textValue());
  }

  private static Slot wrap(CarrierKey key, char[] passphrase) {
    SecureRandom random = new SecureRandom();
    byte[] salt = new byte[SALT];
    byte[] nonce = new byte[NONCE];
    random.nextBytes(salt);
    random.nextBytes(nonce);
    Slot unwrapped = new Slot(MEMORY_KIB, ITERATIONS, 1, salt, nonce, null);
    byte[] kek = stretch(passphrase, unwrapped);
    byte[] master = key.bytes();
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"),
          new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(associatedData(unwrapped));
      return new Slot(MEMORY_KIB, ITERATIONS, 1, salt, nonce, c.doFinal(master));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is missing from this JVM", e);
    } finally {
      Arrays.fill(kek, (byte) 0);
      Arrays.fill(master, (byte) 0);
    }
  }

  /** The slot's key-encryption key: Argon2id of {@code passphrase} with the slot's parameters. */
  private static byte[] stretch(char[] passphrase, Slot s) {
    ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
    byte[] utf8 = new byte[encoded.remaining()];
    encoded.get(utf8);
    try {
      return Argon2id.hash(
          utf8, s.salt(), new byte[0], new byte[0], s.memoryKiB(), s.iterations(), s.parallelism(),
          CarrierKey.LENGTH);
    } finally {
      Arrays.fill(utf8, (byte) 0);
      Arrays.fill(encoded.array(), (byte) 0);
    }
  }

  /** What the wrapping binds besides the key: the format and the slot's KDF parameters. */
  private static byte[] associatedData(Slot s) {
    return (FORMAT + " v" + VERSION + " " + KDF + " m=" + s.memoryKiB() + " t=" + s.iterations()
        + " p=" + s.parallelism()).getBytes(StandardCharsets.US_ASCII);
  }
}
