package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.WireRefusalContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The protocol's refusals from {@code carryon serve}'s server (Jersey on Jetty). */
class JerseyRefusalTest extends WireRefusalContract {
  @Override
  protected Served start(Path dir) throws IOException {
    Path folder = Files.createDirectories(dir.resolve("carrier"));
    ServedFolder s = ServedFolder.single(folder);
    return new Served(s.uri(), s.token(), folder, s);
  }
}
