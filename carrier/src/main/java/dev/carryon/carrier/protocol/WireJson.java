package dev.carryon.carrier.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;

/** The protocol's JSON bodies: reading a request's object strictly, writing answers. */
public final class WireJson {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private WireJson() {}

  /** A fresh object to fill in and {@link #write}. */
  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** {@code node} as compact JSON text. */
  public static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (IOException e) {
      throw new IllegalStateException("a JSON tree always writes", e);
    }
  }

  /** The error body of {@code e}: {@code error}, {@code message}, then its extra fields. */
  public static String error(ProtocolException e) {
    ObjectNode o = object();
    o.put("error", e.code().code());
    o.put("message", e.getMessage());
    for (Map.Entry<String, Object> f : e.fields().entrySet()) {
      o.set(f.getKey(), MAPPER.valueToTree(f.getValue()));
    }
    return write(o);
  }

  /**
   * Parses {@code body} as one JSON object.
   *
   * @throws ProtocolException {@code bad-request}, saying what {@code what} was, when it is not one
   */
  public static ObjectNode parseObject(byte[] body, String what) throws ProtocolException {
    JsonNode n;
    try {
      n = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST,
          what + ": the body is not valid JSON (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, what + ": the body cannot be read");
    } catch (RuntimeException e) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, what + ": the body is not valid JSON");
    }
    if (n == null || !n.isObject()) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, what + ": the body must be a JSON object");
    }
    return (ObjectNode) n;
  }

  /** Text field {@code field} of {@code o}, required. */
  static String text(ObjectNode o, String field, String what) throws ProtocolException {
    JsonNode n = o.get(field);
    if (n == null || !n.isTextual()) {
      throw missing(field, "a string", what);
    }
    return n.textValue();
  }

  /** Whole-number field {@code field} of {@code o}, required, from {@code min} to {@code max}. */
  static long number(ObjectNode o, String field, long min, long max, String what)
      throws ProtocolException {
    JsonNode n = o.get(field);
    if (n == null || !n.canConvertToExactIntegral() || !n.canConvertToLong()) {
      throw missing(field, "a whole number", what);
    }
    long v = n.longValue();
    if (v < min || v > max) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST,
          what + ": \"" + field + "\" (" + v + ") must be from " + min + " to " + max);
    }
    return v;
  }

  private static ProtocolException missing(String field, String kind, String what) {
    return new ProtocolException(
        ErrorCode.BAD_REQUEST, what + ": \"" + field + "\" must be given as " + kind);
  }
}
