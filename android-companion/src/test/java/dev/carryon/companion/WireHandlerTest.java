package dev.carryon.companion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The protocol core through the companion's own HTTP server: bodies both ways (fixed and chunked
 * up, ranges down), the headers the protocol names, the page's cookie, and requests the server
 * cannot read answered in the protocol's error format. (Every refusal and the storage contract run
 * against this server too: CompanionRefusalTest, CompanionStorageTest.)
 */
class WireHandlerTest {
  private static final String TOKEN = "0123456789abcdef0123456789abcdef";
  private static final Pattern LOCK_ID = Pattern.compile("\"lock\":\"([0-9a-f]+)\"");

  @TempDir Path root;

  private CompanionServer server;
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws IOException {
    server =
        CompanionServer.start(
            root, TOKEN, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  @Test
  void carriesBodiesBothWaysAndTheHeadersTheProtocolNames() throws Exception {
    HttpResponse<String> lock =
        send(authorized("c1/api/v1/lock").POST(json("{\"owner\":\"test host\",\"ttlSeconds\":60}")).build());
    assertEquals(200, lock.statusCode(), lock.body());
    Matcher m = LOCK_ID.matcher(lock.body());
    assertTrue(m.find(), lock.body());
    String id = m.group(1);
    assertEquals(204, send(authorized("c1/api/v1/ops").header("Carryon-Lock", id).POST(json("{\"op\":\"mkdir\",\"folder\":\"layers\"}")).build()).statusCode());
    HttpResponse<String> put =
        send(authorized("c1/api/v1/files/layers/L1.qcow2?offset=0&length=5").header("Carryon-Lock", id).PUT(BodyPublishers.ofString("hello")).build());
    assertEquals(204, put.statusCode(), put.body());
    // A body of unknown length comes chunked; the core reads it de-chunked.
    BodyPublisher chunked = BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(" world".getBytes(StandardCharsets.UTF_8)));
    put = send(authorized("c1/api/v1/files/layers/L1.qcow2?offset=5&length=6").header("Carryon-Lock", id).PUT(chunked).build());
    assertEquals(204, put.statusCode(), put.body());
    assertEquals("hello world", Files.readString(root.resolve("c1/layers/L1.qcow2")));

    HttpResponse<String> head = send(authorized("c1/api/v1/files/layers/L1.qcow2").method("HEAD", BodyPublishers.noBody()).build());
    assertEquals(200, head.statusCode());
    assertEquals("11", head.headers().firstValue("Content-Length").orElse(null));
    HttpResponse<String> range = send(authorized("c1/api/v1/files/layers/L1.qcow2").header("Range", "bytes=6-").GET().build());
    assertEquals(206, range.statusCode());
    assertEquals("world", range.body());
    assertEquals("bytes 6-10/11", range.headers().firstValue("Content-Range").orElse(null));
    assertEquals("1", range.headers().firstValue("Carryon-Protocol").orElse(null));

    HttpResponse<String> created =
        send(authorized("c1/api/v1/manifest").header("Carryon-Lock", id).header("If-None-Match", "*").PUT(json("{\"m\":1}")).build());
    assertEquals(200, created.statusCode(), created.body());
    HttpResponse<String> manifest = send(authorized("c1/api/v1/manifest").GET().build());
    assertEquals("{\"m\":1}", manifest.body());
    assertTrue(created.body().contains(manifest.headers().firstValue("ETag").orElse("?").replace("\"", "")), created.body());
    assertEquals(204, send(authorized("c1/api/v1/lock/" + id).DELETE().build()).statusCode());
  }

  @Test
  void answersUnknownPathsAndMethodsWithProtocolErrors() throws Exception {
    HttpResponse<String> r = send(authorized("c1/api/v1/nothing").GET().build());
    assertEquals(404, r.statusCode());
    assertTrue(r.body().contains("\"error\":\"not-found\""), r.body());
    r = send(authorized("c1/api/v1/info").DELETE().build());
    assertEquals(405, r.statusCode());
    assertTrue(r.body().contains("\"error\":\"method-not-allowed\""), r.body());
    r = send(authorized("").GET().build());
    assertEquals(404, r.statusCode(), "the root itself names no carrier");
  }

  @Test
  void thePageTradesTheQueryTokenForACookie() throws Exception {
    HttpResponse<String> r = send(request("c1/?token=" + TOKEN).GET().build());
    assertEquals(303, r.statusCode());
    assertEquals("/c1/", r.headers().firstValue("Location").orElse(null));
    String cookie = r.headers().firstValue("Set-Cookie").orElse("");
    assertTrue(cookie.startsWith("carryon_token=" + TOKEN + "; Path=/c1/; HttpOnly; SameSite=Strict"), cookie);
    HttpResponse<String> page = send(request("c1/").header("Cookie", "carryon_token=" + TOKEN).GET().build());
    assertEquals(200, page.statusCode(), page.body());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    assertEquals(401, send(request("c1/").GET().build()).statusCode());
  }

  @Test
  void aRequestTheServerCannotReadGetsAProtocolError() throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
      OutputStream out = s.getOutputStream();
      out.write("GET /c1/api/v1/info HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
      assertTrue(answer.contains("Carryon-Protocol: 1"), answer);
      assertTrue(answer.contains("{\"error\":\"bad-request\",\"message\":\"Content-Length values that disagree"), answer);
    }
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(server.url() + path));
  }

  private HttpRequest.Builder authorized(String path) {
    return request(path).header("Authorization", "Bearer " + TOKEN);
  }

  private static BodyPublisher json(String text) {
    return BodyPublishers.ofString(text);
  }

  private HttpResponse<String> send(HttpRequest r) throws IOException, InterruptedException {
    return client.send(r, HttpResponse.BodyHandlers.ofString());
  }
}
