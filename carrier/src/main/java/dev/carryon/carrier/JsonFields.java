package dev.carryon.carrier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Reads the fields of one JSON object strictly: every field asked for must be present (null only
 * where allowed), of the right type, and {@link #done} refuses fields nobody asked for. Errors name
 * the manifest file and the field's path, e.g. {@code generations[2].chain[0]}.
 */
final class JsonFields {
  /** The manifest being read (where it lives), for messages. */
  private final String source;

  /** Path of this object in the document, empty for the root. */
  private final String where;

  /** The object read. */
  private final ObjectNode node;

  /** Fields asked for so far. */
  private final Set<String> seen = new HashSet<>();

  JsonFields(String source, String where, ObjectNode node) {
    this.source = source;
    this.where = where;
    this.node = node;
  }

  /** Path of this object, for messages about the object as a whole. */
  String where() {
    return where.isEmpty() ? "manifest" : where;
  }

  /** Whether the object has a field {@code name} (for fields later versions of 1 added). */
  boolean has(String name) {
    return node.has(name);
  }

  String text(String name) throws CarrierFormatException {
    return textOf(required(name), path(name));
  }

  String textOrNull(String name) throws CarrierFormatException {
    JsonNode value = required(name);
    return value.isNull() ? null : textOf(value, path(name));
  }

  /** An object used as a map from names to texts, in document order. */
  Map<String, String> textMap(String name) throws CarrierFormatException {
    JsonFields map = object(name);
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<String> it = map.node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      out.put(key, map.text(key));
    }
    return out;
  }

  long whole(String name) throws CarrierFormatException {
    return wholeOf(required(name), path(name));
  }

  Long wholeOrNull(String name) throws CarrierFormatException {
    JsonNode value = required(name);
    return value.isNull() ? null : wholeOf(value, path(name));
  }

  int smallWhole(String name) throws CarrierFormatException {
    long value = whole(name);
    if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
      throw bad(path(name), "must be a whole number of at most " + Integer.MAX_VALUE, value);
    }
    return (int) value;
  }

  Instant instant(String name) throws CarrierFormatException {
    String text = text(name);
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw bad(path(name), "must be an ISO-8601 UTC time like 2025-01-31T12:00:00Z", text);
    }
  }

  UUID uuid(String name) throws CarrierFormatException {
    String text = text(name);
    try {
      UUID id = UUID.fromString(text);
      if (!id.toString().equals(text)) {
        throw new IllegalArgumentException("not canonical");
      }
      return id;
    } catch (IllegalArgumentException e) {
      throw bad(path(name), "must be a UUID like 123e4567-e89b-12d3-a456-426614174000", text);
    }
  }

  JsonFields object(String name) throws CarrierFormatException {
    return objectOf(required(name), path(name));
  }

  JsonFields objectOrNull(String name) throws CarrierFormatException {
    JsonNode value = required(name);
    return value.isNull() ? null : objectOf(value, path(name));
  }

  List<String> texts(String name) throws CarrierFormatException {
    List<String> out = new ArrayList<>();
    JsonNode array = arrayOf(name);
    for (int i = 0; i < array.size(); i++) {
      out.add(textOf(array.get(i), path(name) + "[" + i + "]"));
    }
    return out;
  }

  List<JsonFields> objects(String name) throws CarrierFormatException {
    List<JsonFields> out = new ArrayList<>();
    JsonNode array = arrayOf(name);
    for (int i = 0; i < array.size(); i++) {
      out.add(objectOf(array.get(i), path(name) + "[" + i + "]"));
    }
    return out;
  }

  /** An object used as a map from names to objects, in document order. */
  Map<String, JsonFields> objectMap(String name) throws CarrierFormatException {
    JsonFields map = object(name);
    Map<String, JsonFields> out = new LinkedHashMap<>();
    for (Iterator<String> it = map.node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      out.put(key, map.object(key));
    }
    return out;
  }

  /** Refuses any field of this object that no one asked for. */
  void done() throws CarrierFormatException {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!seen.contains(name)) {
        throw new CarrierFormatException(
            CarrierFormatException.Kind.BAD_VALUE,
            source,
            "unknown field '"
                + path(name)
                + "' (not in manifest version "
                + CarrierFiles.VERSION
                + ")");
      }
    }
  }

  /** A value the model refused, reported at this object's path. */
  CarrierFormatException invalid(String problem) {
    return new CarrierFormatException(
        CarrierFormatException.Kind.BAD_VALUE, source, where() + ": " + problem);
  }

  private JsonNode required(String name) throws CarrierFormatException {
    seen.add(name);
    JsonNode value = node.get(name);
    if (value == null) {
      throw new CarrierFormatException(
          CarrierFormatException.Kind.MISSING_FIELD, source, "missing field '" + path(name) + "'");
    }
    return value;
  }

  private JsonNode arrayOf(String name) throws CarrierFormatException {
    JsonNode value = required(name);
    if (!value.isArray()) {
      throw bad(path(name), "must be an array", value);
    }
    return value;
  }

  private String textOf(JsonNode value, String path) throws CarrierFormatException {
    if (!value.isTextual()) {
      throw bad(path, "must be a string", value);
    }
    return value.textValue();
  }

  private long wholeOf(JsonNode value, String path) throws CarrierFormatException {
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw bad(path, "must be a whole number", value);
    }
    return value.longValue();
  }

  private JsonFields objectOf(JsonNode value, String path) throws CarrierFormatException {
    if (!value.isObject()) {
      throw bad(path, "must be an object", value);
    }
    return new JsonFields(source, path, (ObjectNode) value);
  }

  private CarrierFormatException bad(String path, String rule, Object found) {
    return new CarrierFormatException(
        CarrierFormatException.Kind.BAD_VALUE,
        source,
        "field '" + path + "' " + rule + ", found " + found);
  }

  private String path(String name) {
    return where.isEmpty() ? name : where + "." + name;
  }
}
