package dev.carryon.carrier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.keys.CarrierKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The authentication of an encrypted carrier's manifest: a field {@code "seal": {"mac": "<64
 * hex>"}} at the end of the manifest's JSON object, HMAC-SHA256 under the key the master key
 * derives for the manifest ({@link CarrierKey}) of the manifest as written without that field. The
 * manifest itself stays readable JSON, so a carrier server or the phone lists it without a key; a
 * host that cannot show the MAC of what it read refuses the carrier. Being inside the manifest, the
 * seal is replaced in the same atomic commit as the manifest: no cut can leave the two apart.
 */
final class ManifestSeal {
  /** The manifest's field holding the seal; {@link ManifestCodec} reads past it. */
  static final String FIELD = "seal";

  /** Its one member: the MAC, hex. */
  private static final String MAC = "mac";

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ManifestSeal() {}

  /** {@code encoded} (a manifest as {@link ManifestCodec} writes it) with its seal under {@code key}. */
  static byte[] seal(byte[] encoded, CarrierKey key) throws IOException {
    ObjectNode root = (ObjectNode) MAPPER.readTree(encoded);
    root.remove(FIELD);
    byte[] mac = key.mac(CarrierKey.MANIFEST_MAC, text(root));
    root.putObject(FIELD).put(MAC, HexFormat.of().formatHex(mac));
    return text(root);
  }

  /**
   * Checks the seal of the stored manifest {@code stored} against {@code key}; refuses, naming
   * {@code source}, a manifest without a seal or whose seal does not match.
   */
  static void check(byte[] stored, CarrierKey key, String source) throws IOException {
    JsonNode root;
    try {
      root = MAPPER.readTree(stored);
    } catch (IOException e) {
      throw new CarrierFormatException(
          CarrierFormatException.Kind.NOT_JSON, source, "not JSON: " + e.getMessage(), e);
    }
    JsonNode seal = root == null || !root.isObject() ? null : ((ObjectNode) root).remove(FIELD);
    if (seal == null || !seal.path(MAC).isTextual()) {
      throw new CarrierException(source + ": the carrier is encrypted but its manifest carries no"
          + " seal; it was altered or replaced, and is refused");
    }
    byte[] expected = key.mac(CarrierKey.MANIFEST_MAC, text(root));
    byte[] found;
    try {
      found = HexFormat.of().parseHex(seal.get(MAC).textValue());
    } catch (IllegalArgumentException e) {
      found = new byte[0];
    }
    if (!MessageDigest.isEqual(expected, found)) {
      throw new CarrierException(source + ": the manifest's seal does not match its content under"
          + " this carrier's key: it was altered, and is refused");
    }
  }

  /** Whether the stored manifest has a seal at all (a plain carrier's must not). */
  static boolean isSealed(byte[] stored) {
    try {
      JsonNode root = MAPPER.readTree(stored);
      return root != null && root.has(FIELD);
    } catch (IOException e) {
      return false; // the codec reports what is wrong with it
    }
  }

  private static byte[] text(JsonNode root) throws JsonProcessingException {
    return (MAPPER.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
