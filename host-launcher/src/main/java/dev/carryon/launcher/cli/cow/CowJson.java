package dev.carryon.launcher.cli.cow;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;

/**
 * JSON output of the cow commands, written with Jackson's streaming generator: an ObjectMapper
 * costs about 0.3 s of start-up, more than a small merge takes.
 */
final class CowJson {
  /** Writes one JSON document with the generator it is given. */
  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private CowJson() {}

  /** The document {@code body} writes, indented like qemu-img's JSON when {@code pretty}. */
  static String write(boolean pretty, Body body) throws IOException {
    StringWriter text = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(text)) {
      if (pretty) {
        g.useDefaultPrettyPrinter();
      }
      body.write(g);
    }
    return text.toString();
  }
}
