package dev.carryon.carrier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Mutations of a JSON document that keep it JSON, so that they reach past the parser into the
 * schema and the rules: a value replaced by an edge (null, a wrong type, a huge or negative
 * number, a path that climbs out, a name of another carrier file, a long string), a field removed,
 * renamed or added, an array element duplicated or dropped, a value swapped with another of the
 * same field name.
 */
final class JsonMutator {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Replacement values, made fresh each time (nodes are mutable). */
  private static final List<Supplier<JsonNode>> EDGES = List.of(
      NODES::nullNode, () -> NODES.booleanNode(true), () -> NODES.textNode(""), () -> NODES.textNode("x"),
      () -> NODES.numberNode(0), () -> NODES.numberNode(-1), () -> NODES.numberNode(1),
      () -> NODES.numberNode(Integer.MAX_VALUE), () -> NODES.numberNode(Long.MAX_VALUE),
      () -> NODES.numberNode(Long.MIN_VALUE), () -> NODES.numberNode(BigInteger.ONE.shiftLeft(64)),
      () -> NODES.numberNode(1.5), () -> NODES.numberNode(new BigDecimal("1e400")),
      () -> NODES.textNode("../carryon.json"), () -> NODES.textNode("/etc/passwd"),
      () -> NODES.textNode("layers/../../x.qcow2"), () -> NODES.textNode("layers/L0.qcow2"),
      () -> NODES.textNode("layers/L999999999999999999.qcow2"), () -> NODES.textNode("states/S1.zst"),
      () -> NODES.textNode("base.raw"), () -> NODES.textNode("base.qcow2"), () -> NODES.textNode("cow.qcow2"),
      () -> NODES.textNode("vmlinuz"), () -> NODES.textNode("tmp/carryon.json.new"),
      () -> NODES.textNode("a".repeat(70_000)), () -> NODES.textNode("\u0000"),
      () -> NODES.textNode("2025-13-45T00:00:00Z"), () -> NODES.textNode("+1000000000-12-31T23:59:59.999999999Z"),
      () -> NODES.textNode("00000000-0000-0000-0000-000000000000"), () -> NODES.textNode("1"),
      NODES::arrayNode, NODES::objectNode, () -> NODES.arrayNode().add(NODES.nullNode()));

  private final Random random;

  JsonMutator(Random random) {
    this.random = random;
  }

  /** A mutation of {@code json}; null when it is not JSON (the caller mutates its bytes then). */
  byte[] mutate(byte[] json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      return null;
    }
    if (root == null || !root.isContainerNode()) {
      return null;
    }
    List<Slot> slots = new ArrayList<>();
    collect(root, slots);
    int n = 1 + random.nextInt(3);
    for (int i = 0; i < n && !slots.isEmpty(); i++) {
      change(slots.get(random.nextInt(slots.size())), slots);
    }
    try {
      return random.nextBoolean() ? MAPPER.writeValueAsBytes(root) : MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a JSON tree", e);
    }
  }

  /** A place in the tree: field {@code name} of an object, or element {@code index} of an array. */
  private record Slot(JsonNode parent, String name, int index) {
    JsonNode value() {
      return name != null ? parent.get(name) : parent.get(index);
    }

    void set(JsonNode v) {
      if (name != null) {
        ((ObjectNode) parent).set(name, v);
      } else {
        ((ArrayNode) parent).set(index, v);
      }
    }

    void remove() {
      if (name != null) {
        ((ObjectNode) parent).remove(name);
      } else {
        ((ArrayNode) parent).remove(index);
      }
    }
  }

  private static void collect(JsonNode node, List<Slot> slots) {
    if (node.isObject()) {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        slots.add(new Slot(node, name, -1));
        collect(node.get(name), slots);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        slots.add(new Slot(node, null, i));
        collect(node.get(i), slots);
      }
    }
  }

  private void change(Slot s, List<Slot> all) {
    JsonNode v = s.value();
    if (v == null) {
      return; // removed by an earlier change of this round
    }
    switch (random.nextInt(8)) {
      case 0, 1, 2 -> s.set(EDGES.get(random.nextInt(EDGES.size())).get());
      case 3 -> {
        if (v.isIntegralNumber()) {
          long[] deltas = {1, -1, 1L << 32};
          s.set(NODES.numberNode(v.longValue() + deltas[random.nextInt(deltas.length)]));
        } else if (v.isTextual()) {
          String[] affixes = {"../", "/", "layers/", " ", "\n"};
          String a = affixes[random.nextInt(affixes.length)];
          s.set(NODES.textNode(random.nextBoolean() ? a + v.textValue() : v.textValue() + a));
        } else {
          s.set(EDGES.get(random.nextInt(EDGES.size())).get());
        }
      }
      case 4 -> s.remove();
      case 5 -> {
        if (s.name() != null) {
          ObjectNode parent = (ObjectNode) s.parent();
          parent.set(random.nextBoolean() ? s.name() + "X" : "unknownField", v.deepCopy());
          if (random.nextBoolean()) {
            parent.remove(s.name());
          }
        } else {
          ((ArrayNode) s.parent()).insert(s.index(), v.deepCopy());
        }
      }
      case 6 -> {
        // Another value of the same field name (a chain of another generation, another file's record).
        List<Slot> same = all.stream().filter(o -> o != s && o.name() != null && o.name().equals(s.name())).toList();
        if (!same.isEmpty()) {
          JsonNode other = same.get(random.nextInt(same.size())).value();
          if (other != null) {
            s.set(other.deepCopy());
          }
        }
      }
      default -> {
        if (v.isContainerNode() && v.size() > 0) {
          List<Slot> inner = new ArrayList<>();
          collect(v, inner);
          inner.get(random.nextInt(inner.size())).remove();
        } else {
          s.set(EDGES.get(random.nextInt(EDGES.size())).get());
        }
      }
    }
  }
}
