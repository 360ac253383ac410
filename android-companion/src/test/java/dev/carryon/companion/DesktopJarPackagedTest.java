package dev.carryon.companion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The desktop runner as users start it: {@code java -jar carryon-companion-jvm.jar ...}. */
class DesktopJarPackagedTest {
  private static final Path JAR = Paths.get(System.getProperty("carryon.companion.jvmJar"));
  private static final Pattern SERVING = Pattern.compile("serving (.+) at (http://127\\.0\\.0\\.1:\\d+/)");

  @TempDir Path dir;

  @Test
  void servesTheRootUntilTerminated() throws Exception {
    Path root = dir.resolve("carriers");
    Path tokenFile = dir.resolve("token");
    Process p = java("--root", root.toString(), "--listen", "127.0.0.1:0", "--token-file", tokenFile.toString());
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertNotNull(line, "the runner printed nothing");
      Matcher m = SERVING.matcher(line);
      assertTrue(m.matches(), line);
      assertEquals(root.toString(), m.group(1));
      assertTrue(Files.isDirectory(root));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
      String token = Files.readString(tokenFile).trim();

      HttpClient client = HttpClient.newHttpClient();
      URI info = URI.create(m.group(2) + "phone1/api/v1/info");
      HttpResponse<String> ok =
          client.send(
              HttpRequest.newBuilder(info).header("Authorization", "Bearer " + token).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode(), ok.body());
      assertTrue(ok.body().contains("\"carrier\":false"), ok.body());
      assertTrue(ok.body().contains("\"server\":\"" + CompanionServer.SERVER + "\""), ok.body());
      HttpResponse<String> refused = client.send(HttpRequest.newBuilder(info).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(401, refused.statusCode());
    } finally {
      p.destroy();
    }
    assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the runner did not stop on SIGTERM");
  }

  @Test
  void helpAndBadCommandLines() throws Exception {
    Process help = java("--help");
    String usage = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, help.waitFor());
    assertTrue(usage.startsWith("usage: java -jar carryon-companion-jvm.jar --root DIR"), usage);

    assertFails(2, "--token-file FILE is required", "--root", dir.toString());
    assertFails(2, "unknown argument '--port'", "--port", "1");
    assertFails(2, "--listen 'nowhere' is not ADDR:PORT", "--root", "r", "--token-file", "t", "--listen", "nowhere");

    Path open = dir.resolve("open-token");
    Files.writeString(open, "0123456789abcdef0123456789abcdef\n");
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
    assertFails(3, "is open to others", "--root", dir.resolve("r").toString(), "--token-file", open.toString());
  }

  private void assertFails(int exit, String message, String... args) throws Exception {
    Process p = java(args);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(exit, p.waitFor(), err);
    assertTrue(err.contains(message), err);
  }

  private static Process java(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(JAR.toString());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).start();
  }
}
