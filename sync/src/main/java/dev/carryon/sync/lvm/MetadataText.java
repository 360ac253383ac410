package dev.carryon.sync.lvm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LVM2's metadata text (libdm's config format) parsed into sections:
 *
 * <pre>
 * vg0 {                          a section
 *     id = "Lf00z2-..."          a string
 *     seqno = 2                  a number
 *     status = ["READ", "WRITE"] an array
 *     physical_volumes { pv0 { ... } }
 * }
 * # a comment to the end of the line
 * </pre>
 *
 * Nesting is bounded, and every accessor's error names the path of the value it wanted.
 */
final class MetadataText {
  /** Deepest nesting accepted: LVM2 writes five levels. */
  private static final int MAX_DEPTH = 16;

  /** The text being parsed. */
  private final String text;
  /** What messages call it, e.g. "/dev/sda2: metadata area at byte 4096". */
  private final String where;
  /** Parse position. */
  private int at;

  private MetadataText(String text, String where) {
    this.text = text;
    this.where = where;
  }

  /** Parses a whole metadata text into its top-level section. */
  static Section parse(String text, String where) throws LvmException {
    MetadataText p = new MetadataText(text, where);
    Section top = new Section(where, "");
    p.body(top, 0, true);
    return top;
  }

  /** A named group of values: a string, a Long, a List of those, or a nested Section. */
  static final class Section {
    /** Messages' prefix. */
    private final String where;
    /** Path of this section from the top, e.g. "vg0/logical_volumes/root". */
    final String path;
    /** Values in text order. */
    private final Map<String, Object> values = new LinkedHashMap<>();

    Section(String where, String path) {
      this.where = where;
      this.path = path;
    }

    /** The last part of the path: the section's name. */
    String name() {
      return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The sections directly inside, in text order. */
    List<Section> sections() {
      List<Section> out = new ArrayList<>();
      for (Object v : values.values()) {
        if (v instanceof Section s) {
          out.add(s);
        }
      }
      return out;
    }

    /** The nested section {@code key}, or an error. */
    Section section(String key) throws LvmException {
      return get(key, Section.class, "a section");
    }

    /** The nested section {@code key}, or null when absent. */
    Section optionalSection(String key) throws LvmException {
      return values.containsKey(key) ? section(key) : null;
    }

    String string(String key) throws LvmException {
      return get(key, String.class, "a string");
    }

    /** The string {@code key}, or null when absent. */
    String optionalString(String key) throws LvmException {
      return values.containsKey(key) ? string(key) : null;
    }

    long number(String key) throws LvmException {
      return get(key, Long.class, "a number");
    }

    /** The number {@code key}, which must lie in {@code min..max}. */
    long number(String key, long min, long max) throws LvmException {
      long v = number(key);
      if (v < min || v > max) {
        throw error(key + " = " + v + " is out of range (" + min + ".." + max + ")");
      }
      return v;
    }

    /** The array {@code key}; empty when absent. */
    @SuppressWarnings("unchecked")
    List<Object> list(String key) throws LvmException {
      return values.containsKey(key) ? get(key, List.class, "an array") : List.of();
    }

    /** The strings of the array {@code key} (e.g. status flags); empty when absent. */
    List<String> strings(String key) throws LvmException {
      List<String> out = new ArrayList<>();
      for (Object o : list(key)) {
        if (!(o instanceof String s)) {
          throw error(key + " holds " + o + " where a string was expected");
        }
        out.add(s);
      }
      return out;
    }

    private <T> T get(String key, Class<T> type, String what) throws LvmException {
      Object v = values.get(key);
      if (v == null) {
        throw error("no '" + key + "'");
      }
      if (!type.isInstance(v)) {
        throw error("'" + key + "' is not " + what);
      }
      return type.cast(v);
    }

    LvmException error(String problem) {
      return new LvmException(where + ": metadata " + (path.isEmpty() ? "" : path + ": ")
          + problem);
    }
  }

  private void body(Section section, int depth, boolean top) throws LvmException {
    if (depth > MAX_DEPTH) {
      throw syntax("sections nested deeper than " + MAX_DEPTH);
    }
    while (true) {
      skipSpace();
      if (at >= text.length()) {
        if (!top) {
          throw syntax("section '" + section.path + "' is not closed");
        }
        return;
      }
      if (text.charAt(at) == '}') {
        if (top) {
          throw syntax("'}' without a section to close");
        }
        at++;
        return;
      }
      String key = identifier();
      skipSpace();
      String path = section.path.isEmpty() ? key : section.path + "/" + key;
      Object value;
      if (peek('{')) {
        at++;
        Section inner = new Section(section.where, path);
        body(inner, depth + 1, false);
        value = inner;
      } else if (peek('=')) {
        at++;
        skipSpace();
        value = peek('[') ? array() : scalar();
      } else {
        throw syntax("expected '=' or '{' after '" + key + "'");
      }
      if (section.values.putIfAbsent(key, value) != null) {
        throw syntax("'" + path + "' is defined twice");
      }
    }
  }

  private List<Object> array() throws LvmException {
    at++; // '['
    List<Object> items = new ArrayList<>();
    skipSpace();
    if (peek(']')) {
      at++;
      return Collections.unmodifiableList(items);
    }
    while (true) {
      skipSpace();
      items.add(scalar());
      skipSpace();
      if (peek(',')) {
        at++;
      } else if (peek(']')) {
        at++;
        return Collections.unmodifiableList(items);
      } else {
        throw syntax("expected ',' or ']' in an array");
      }
    }
  }

  private Object scalar() throws LvmException {
    if (peek('"')) {
      StringBuilder s = new StringBuilder();
      at++;
      while (at < text.length() && text.charAt(at) != '"') {
        char c = text.charAt(at++);
        if (c == '\\' && at < text.length()) {
          c = text.charAt(at++);
        }
        s.append(c);
      }
      if (at >= text.length()) {
        throw syntax("a string is not closed");
      }
      at++;
      return s.toString();
    }
    int start = at;
    while (at < text.length() && "+-.0123456789".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
    String number = text.substring(start, at);
    try {
      return Long.parseLong(number);
    } catch (NumberFormatException e) {
      try {
        return Double.parseDouble(number); // LVM2 writes none, but the format allows floats
      } catch (NumberFormatException e2) {
        throw syntax("expected a value, found '" + preview(start) + "'");
      }
    }
  }

  private String identifier() throws LvmException {
    int start = at;
    while (at < text.length() && isNameChar(text.charAt(at))) {
      at++;
    }
    if (start == at) {
      throw syntax("expected a name, found '" + preview(start) + "'");
    }
    return text.substring(start, at);
  }

  private static boolean isNameChar(char c) {
    return Character.isLetterOrDigit(c) || "_+.-".indexOf(c) >= 0;
  }

  private void skipSpace() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c == '#') {
        while (at < text.length() && text.charAt(at) != '\n') {
          at++;
        }
      } else if (Character.isWhitespace(c) || c == 0) {
        at++;
      } else {
        return;
      }
    }
  }

  private boolean peek(char c) {
    return at < text.length() && text.charAt(at) == c;
  }

  private String preview(int from) {
    return text.substring(from, Math.min(text.length(), from + 20)).replace("\n", "\\n");
  }

  private LvmException syntax(String problem) {
    int line = 1;
    for (int i = 0; i < at && i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        line++;
      }
    }
    return new LvmException(where + ": metadata text line " + line + ": " + problem);
  }
}
