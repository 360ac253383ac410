package dev.carryon.launcher.cli.sync;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * One-line JSON documents of the sync commands, written with Jackson's streaming generator (an
 * ObjectMapper costs about 0.3 s of start-up).
 */
final class SyncJson {
  /** Writes one JSON document with the generator it is given. */
  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static final JsonFactory FACTORY = new JsonFactory();

  private SyncJson() {}

  /** The document {@code body} writes, on one line. */
  static String line(Body body) {
    StringWriter text = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(text)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write JSON to a string", e);
    }
    return text.toString();
  }
}
