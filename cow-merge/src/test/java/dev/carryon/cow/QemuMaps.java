package dev.carryon.cow;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and normalizes qemu-img map --output=json so it can be compared with {@link Mapper}. */
final class QemuMaps {
  private static final Pattern ENTRY =
      Pattern.compile(
          "\"start\": (\\d+), \"length\": (\\d+), \"depth\": (\\d+), \"present\": (\\w+), \"zero\": (\\w+), \"data\": (\\w+)");

  private QemuMaps() {}

  static List<Extent> parse(String json) {
    List<Extent> out = new ArrayList<>();
    Matcher m = ENTRY.matcher(json);
    while (m.find()) {
      out.add(
          new Extent(
              Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Integer.parseInt(m.group(3)),
              Boolean.parseBoolean(m.group(4)), Boolean.parseBoolean(m.group(5)),
              Boolean.parseBoolean(m.group(6)), -1));
    }
    return out;
  }

  /**
   * Drops host offsets and, for raw layers (whose holes qemu finds with SEEK_HOLE), the zero/data
   * distinction; then joins runs that became equal.
   */
  static List<Extent> normalize(List<Extent> extents, Set<Integer> rawDepths) {
    List<Extent> out = new ArrayList<>();
    for (Extent x : extents) {
      boolean raw = rawDepths.contains(x.depth()) && x.present();
      Extent n =
          new Extent(x.start(), x.length(), x.depth(), x.present(), raw ? false : x.zero(), raw || x.data(), -1);
      Extent.addJoined(out, n);
    }
    return out;
  }
}
