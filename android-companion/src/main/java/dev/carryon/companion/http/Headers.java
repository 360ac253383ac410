package dev.carryon.companion.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** A request's header fields in the order received; names compare without case, as HTTP says. */
public final class Headers {
  /** Names, lowercased, paired by index with {@link #values}. */
  private final List<String> names = new ArrayList<>();

  /** Values, without surrounding spaces or tabs. */
  private final List<String> values = new ArrayList<>();

  void add(String name, String value) {
    names.add(name.toLowerCase(Locale.ROOT));
    values.add(value);
  }

  /** The first value of field {@code name}, or null when the request has none. */
  public String first(String name) {
    int i = names.indexOf(name.toLowerCase(Locale.ROOT));
    return i < 0 ? null : values.get(i);
  }

  /** Every value of field {@code name}, in order; empty when the request has none. */
  public List<String> all(String name) {
    String key = name.toLowerCase(Locale.ROOT);
    List<String> found = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(key)) {
        found.add(values.get(i));
      }
    }
    return Collections.unmodifiableList(found);
  }

  /** The names of the fields received, lowercased, each once, in the order first received. */
  public List<String> names() {
    List<String> distinct = new ArrayList<>();
    for (String n : names) {
      if (!distinct.contains(n)) {
        distinct.add(n);
      }
    }
    return Collections.unmodifiableList(distinct);
  }

  /** The number of fields received. */
  public int size() {
    return names.size();
  }
}
