package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.storage.StorageLockedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carryon serve} as a user runs it: its one line, its token file, its stop. */
class ServeCommandTest {
  @TempDir Path dir;

  @Test
  void servesPrintsOneLineKeepsItsTokenAndStopsOnSigterm() throws Exception {
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    Path tokenFile = dir.resolve("token");
    String first;
    try (ServeProcess serve =
        ServeProcess.start(
            dir, carrier.toString(), "--listen", "127.0.0.1:0", "--token-file", tokenFile.toString())) {
      assertTrue(
          serve.out().matches("serving " + java.util.regex.Pattern.quote(carrier.toString())
              + " at http://127\\.0\\.0\\.1:[0-9]+/\n"),
          serve.out());
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
      first = Files.readString(tokenFile).trim();
      assertTrue(first.matches("[0-9a-f]{64}"), first);
      try (HttpStorage storage = HttpStorage.open(serve.uri(), first)) {
        // Taken and never released: the server is stopped under it.
        storage.lock("test writer");
        // While a remote writer holds the carrier, a local command on the folder is refused.
        StorageLockedException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                StorageLockedException.class, () -> FolderStorage.of(carrier).lock("local"));
        assertTrue(e.getMessage().contains("test writer"), e.getMessage());
        // Stopped with the remote lock still held: the server lets go of the folder anyway.
        assertEquals(0, serve.stop());
      }
      assertTrue(serve.err().isEmpty(), serve.err());
    }
    // The stopped server let go of the folder.
    FolderStorage.of(carrier).lock("local").close();
    try (ServeProcess again =
        ServeProcess.start(
            dir, carrier.toString(), "--listen", ":0", "--token-file", tokenFile.toString())) {
      assertEquals(first, Files.readString(tokenFile).trim());
      HttpStorage.open(again.uri(), first).close();
    }
  }

  @Test
  void badArgumentsAreRefusedClearly() throws Exception {
    Path tokenFile = dir.resolve("open-token");
    Files.writeString(tokenFile, "0123456789abcdef0123456789abcdef\n");
    Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-r--r--"));
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    CliRun open =
        CliRun.of("serve", carrier.toString(), "--listen", ":0", "--token-file", tokenFile.toString());
    assertEquals(ExitCodes.BAD_INPUT, open.exitCode(), open.err());
    assertTrue(open.err().contains("chmod 600"), open.err());
    CliRun missing = CliRun.of("serve", dir.resolve("nothing").toString(), "--listen", ":0");
    assertEquals(ExitCodes.BAD_INPUT, missing.exitCode(), missing.err());
    assertTrue(missing.err().contains("not a folder"), missing.err());
    CliRun listen = CliRun.of("serve", carrier.toString(), "--listen", "127.0.0.1");
    assertEquals(ExitCodes.USAGE, listen.exitCode(), listen.err());
    CliRun port = CliRun.of("serve", carrier.toString(), "--listen", ":70000");
    assertEquals(ExitCodes.USAGE, port.exitCode(), port.err());
  }
}
