package dev.carryon.carrier.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.protocol.Tokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token from {@code --token-file} or {@code CARRYON_TOKEN}, and each way it can be unusable. */
class ClientTokenTest {
  @TempDir Path dir;

  @Test
  void aFileNamedWinsOverTheEnvironment() throws IOException {
    Path file = dir.resolve("token");
    String made = Tokens.readOrCreate(file);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(made, ClientToken.resolve(file, Map.of(ClientToken.ENV, "x".repeat(32))));
    assertEquals("y".repeat(32), ClientToken.resolve(null, Map.of(ClientToken.ENV, " " + "y".repeat(32) + "\n")));
  }

  @Test
  void unusableTokensAreRefusedNamingWhy() throws IOException {
    assertTrue(
        assertThrows(ClientToken.MissingTokenException.class, () -> ClientToken.resolve(null, Map.of()))
            .getMessage().contains("--token-file FILE or set CARRYON_TOKEN"));
    assertTrue(
        assertThrows(
                ClientToken.MissingTokenException.class,
                () -> ClientToken.resolve(null, Map.of(ClientToken.ENV, "short")))
            .getMessage().contains("16 to 512 characters"));
    assertThrows(NoSuchFileException.class, () -> ClientToken.resolve(dir.resolve("none"), Map.of()));
    Path open = dir.resolve("open");
    Files.writeString(open, "z".repeat(32));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r-----"));
    Tokens.TokenFileException e =
        assertThrows(Tokens.TokenFileException.class, () -> ClientToken.resolve(open, Map.of()));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    Path empty = dir.resolve("empty");
    Files.writeString(empty, "\n");
    Files.setPosixFilePermissions(empty, PosixFilePermissions.fromString("rw-------"));
    assertTrue(
        assertThrows(Tokens.TokenFileException.class, () -> ClientToken.resolve(empty, Map.of()))
            .getMessage().contains("holds no usable token"));
  }
}
