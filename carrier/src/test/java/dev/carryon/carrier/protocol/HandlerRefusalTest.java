package dev.carryon.carrier.protocol;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The protocol's refusals from the framework-free {@link ProtocolHandler}. */
class HandlerRefusalTest extends WireRefusalContract {
  @Override
  protected Served start(Path dir) throws IOException {
    Path root = Files.createDirectories(dir.resolve("carriers"));
    JdkWireServer s = JdkWireServer.start(root, true);
    return new Served(s.uri().resolve("phone-carrier/"), s.token(), root.resolve("phone-carrier"), s);
  }
}
