package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Fields of {@code qemu-img info --output=json} and the like (string and number fields only). */
final class QemuInfo {
  private final String json;

  private QemuInfo(String json) {
    this.json = json;
  }

  /** qemu-img info of {@code image} alone (its backing file is not opened). */
  static QemuInfo of(Path image) {
    return new QemuInfo(Qemu.img("info", "--output=json", image.toString()));
  }

  /** Fields of any qemu-img JSON output, e.g. check --output=json. */
  static QemuInfo parse(String json) {
    return new QemuInfo(json);
  }

  /** The value of {@code "key": value} (quotes removed), or null when the key is absent. */
  String get(String key) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\": (\"([^\"]*)\"|[^,\\s}]+)").matcher(json);
    return m.find() ? (m.group(2) != null ? m.group(2) : m.group(1)) : null;
  }

  long number(String key) {
    String v = get(key);
    if (v == null) {
      fail("qemu-img info has no " + key + ":\n" + json);
    }
    return Long.parseLong(v);
  }

  @Override
  public String toString() {
    return json;
  }
}
