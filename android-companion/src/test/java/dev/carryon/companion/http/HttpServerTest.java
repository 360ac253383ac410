package dev.carryon.companion.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server against real clients on loopback: the JDK's HttpClient for what well-behaved clients
 * send, a raw socket for framing edge cases and for input no client should send. The handler here
 * echoes what the server parsed, so each test sees exactly what reached a handler.
 */
class HttpServerTest {
  /** Every request the echo handler saw, as "METHOD path?query". */
  private final List<String> seen = new CopyOnWriteArrayList<>();

  /** Failures the echo handler met while reading a body. */
  private final List<IOException> bodyFailures = new CopyOnWriteArrayList<>();

  private HttpServer server;

  /**
   * Answers "METHOD PATH QUERY LENGTH SHA?" with the body's byte count; {@code /refuse} answers 401
   * without reading the body, {@code /boom} throws, {@code /chunks} answers chunked, {@code /slow}
   * waits for the latch.
   */
  private final Handler echo =
      (request, response) -> {
        seen.add(request.toString());
        switch (request.path()) {
          case "/refuse":
            response.send(401, "text/plain", "no".getBytes(StandardCharsets.UTF_8));
            return;
          case "/boom":
            throw new IllegalStateException("handler bug");
          case "/chunks":
            try (OutputStream out = response.start(200, -1)) {
              for (int i = 0; i < 3; i++) {
                out.write(("part" + i + ";").getBytes(StandardCharsets.UTF_8));
                out.flush();
              }
            }
            return;
          default:
            long n;
            try {
              n = count(request.body());
            } catch (IOException e) {
              bodyFailures.add(e);
              throw e;
            }
            String text =
                request.method()
                    + " "
                    + request.path()
                    + " "
                    + request.query()
                    + " "
                    + request.contentLength()
                    + " "
                    + n
                    + " host="
                    + request.header("host");
            response.header("X-Seen", "yes").send(200, "text/plain", text.getBytes(StandardCharsets.UTF_8));
        }
      };

  @AfterEach
  void stop() throws IOException {
    if (server != null) {
      server.close();
    }
  }

  private InetSocketAddress start(HttpLimits limits) throws IOException {
    server = HttpServer.start(new InetSocketAddress("127.0.0.1", 0), echo, limits);
    return server.address();
  }

  private InetSocketAddress start() throws IOException {
    return start(HttpLimits.DEFAULT);
  }

  @Test
  void answersTheJdkClientOverOneKeptAliveConnection() throws Exception {
    InetSocketAddress a = start();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    URI base = URI.create("http://127.0.0.1:" + a.getPort());
    var get = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/a/b?x=1")).build(), BodyHandlers.ofString());
    assertEquals(200, get.statusCode());
    assertEquals("GET /a/b x=1 0 0 host=127.0.0.1:" + a.getPort(), get.body());
    assertEquals("yes", get.headers().firstValue("x-seen").orElse(null));

    byte[] big = new byte[3 << 20];
    Arrays.fill(big, (byte) 7);
    var put =
        client.send(
            java.net.http.HttpRequest.newBuilder(base.resolve("/f"))
                .PUT(BodyPublishers.ofByteArray(big))
                .build(),
            BodyHandlers.ofString());
    assertEquals("PUT /f null " + big.length + " " + big.length + " host=127.0.0.1:" + a.getPort(), put.body());

    // A body of unknown length: the JDK sends it chunked.
    var chunked =
        client.send(
            java.net.http.HttpRequest.newBuilder(base.resolve("/c"))
                .POST(BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
                .build(),
            BodyHandlers.ofString());
    assertEquals("POST /c null -1 " + big.length + " host=127.0.0.1:" + a.getPort(), chunked.body());

    var parts = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/chunks")).build(), BodyHandlers.ofString());
    assertEquals("part0;part1;part2;", parts.body());
  }

  @Test
  void keepsAliveAndAnswersHeadWithoutBody() throws Exception {
    try (RawClient c = new RawClient(start())) {
      c.send("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\nGET /y?q HTTP/1.1\r\nHost: h\r\n\r\n");
      RawClient.Answer head = c.read(true);
      assertEquals(200, head.status());
      assertEquals("23", head.header("Content-Length"), "the length a GET's body would have");
      RawClient.Answer get = c.read();
      assertEquals("GET /y q 0 0 host=h", get.text());
      assertNull(get.header("Connection"));
    }
  }

  @Test
  void readsAChunkedBodyWithExtensionsAndTrailers() throws Exception {
    try (RawClient c = new RawClient(start())) {
      c.send(
          "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer-Field: x\r\n\r\n"
              + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
      assertEquals("POST /c null -1 15 host=h", c.read().text());
      assertEquals("GET /next null 0 0 host=h", c.read().text());
    }
  }

  @Test
  void sends100ContinueOnlyWhenTheHandlerReadsTheBody() throws Exception {
    try (RawClient c = new RawClient(start())) {
      c.send("PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
      assertEquals(100, c.read().status());
      c.send("abcd");
      assertEquals("PUT /f null 4 4 host=h", c.read().text());
    }
    try (RawClient c = new RawClient(server.address())) {
      // Refused unread: no 100, and the connection closes, since the body never comes.
      c.send("PUT /refuse HTTP/1.1\r\nHost: h\r\nContent-Length: 99999\r\nExpect: 100-continue\r\n\r\n");
      RawClient.Answer a = c.read();
      assertEquals(401, a.status());
      assertEquals("close", a.header("Connection"));
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void closesAfterARefusalThatLeftTheBodyUnread() throws Exception {
    try (RawClient c = new RawClient(start())) {
      c.send("PUT /refuse HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789GET / HTTP/1.1\r\n");
      assertEquals("close", c.read().header("Connection"));
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void honoursConnectionCloseAndHttp10() throws Exception {
    InetSocketAddress a = start();
    try (RawClient c = new RawClient(a)) {
      c.send("GET /x HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n");
      assertEquals("close", c.read().header("Connection"));
      assertTrue(c.closedByServer());
    }
    try (RawClient c = new RawClient(a)) {
      c.send("GET /chunks HTTP/1.0\r\n\r\n");
      RawClient.Answer r = c.read();
      assertNull(r.header("Transfer-Encoding"), "no chunked coding for a 1.0 client");
      assertEquals("part0;part1;part2;", r.text());
    }
  }

  @Test
  void acceptsTheAbsoluteFormOfATarget() throws Exception {
    try (RawClient c = new RawClient(start())) {
      c.send("GET http://h:1/p/q?z HTTP/1.1\r\nHost: h\r\n\r\n");
      assertEquals("GET /p/q z 0 0 host=h", c.read().text());
    }
  }

  /** Each of these is refused with 400 before a handler sees it, and the connection closes. */
  @Test
  void refusesMalformedRequests() throws Exception {
    InetSocketAddress a = start(new HttpLimits(4, 64, 256, 5, 10_000));
    String[][] cases = {
      {"GET /x HTTP/1.1\nHost: h\r\n\r\n", "ends in LF without CR"},
      {"GET /x HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", "folded header"},
      {"GET /x HTTP/1.1\r\nHost : h\r\n\r\n", "malformed header field"},
      {"GET  /x HTTP/1.1\r\nHost: h\r\n\r\n", "malformed request line"},
      {"G(T /x HTTP/1.1\r\nHost: h\r\n\r\n", "malformed method"},
      {"GET x HTTP/1.1\r\nHost: h\r\n\r\n", "malformed request target"},
      {"GET /x y HTTP/1.1\r\nHost: h\r\n\r\n", "malformed request line"},
      {"GET /x HTTP/2.0\r\nHost: h\r\n\r\n", "unsupported protocol version"},
      {"GET /x HTTP/1.1\r\n\r\n", "exactly one Host"},
      {"GET /x HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", "exactly one Host"},
      {"GET /" + "a".repeat(80) + " HTTP/1.1\r\nHost: h\r\n\r\n", "request line is longer than 64"},
      {"GET /x HTTP/1.1\r\nHost: h\r\nA: " + "b".repeat(300) + "\r\n\r\n", "header section is longer"},
      {"GET /x HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", "more than 5 header fields"},
      {"GET /x HTTP/1.1\r\nHost: h\r\nA: b\u0001c\r\n\r\n", "control character"},
      {"PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "both Transfer-Encoding and Content-Length"},
      {"PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "disagree"},
      {"PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n", "disagree"},
      {"PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: -3\r\n\r\n", "bad Content-Length"},
      {"PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", "bad Content-Length"},
      {"PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "only chunked"},
      {"PUT /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.0"},
      {"PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"},
      {"PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n", "bad chunk size"},
      {"PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", "not followed by CRLF"},
    };
    for (String[] c : cases) {
      seen.clear();
      try (RawClient client = new RawClient(a)) {
        client.send(c[0]);
        RawClient.Answer answer = client.read();
        boolean bodyFraming = c[0].contains("chunked\r\n\r\n") && c[0].length() > c[0].indexOf("\r\n\r\n") + 4;
        assertEquals(400, answer.status(), c[0]);
        assertTrue(answer.text().contains(c[1]), c[0] + " -> " + answer.text());
        assertEquals("close", answer.header("Connection"), c[0]);
        assertTrue(client.closedByServer(), c[0]);
        // A bad head never reaches the handler; a bad chunk is found while the handler reads.
        assertEquals(bodyFraming ? 1 : 0, seen.size(), c[0]);
      }
    }
  }

  @Test
  void refusesAnUnknownExpectation() throws Exception {
    try (RawClient c = new RawClient(start())) {
      c.send("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: 200-ok\r\n\r\nx");
      assertEquals(417, c.read().status());
      assertTrue(seen.isEmpty());
    }
  }

  @Test
  void aBodyCutShortFailsTheHandlerAndTheServerGoesOn() throws Exception {
    InetSocketAddress a = start();
    try (RawClient c = new RawClient(a)) {
      c.send("PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly-this");
    }
    for (int i = 0; i < 100 && bodyFailures.isEmpty(); i++) {
      Thread.sleep(20);
    }
    assertEquals(1, bodyFailures.size());
    assertTrue(bodyFailures.get(0).getMessage().contains("ended after 9 of the 100 bytes"), bodyFailures.get(0).getMessage());
    try (RawClient c = new RawClient(a)) {
      assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
    }
  }

  @Test
  void aFailingHandlerGetsA500AndTheErrorFormat() throws Exception {
    try (RawClient c = new RawClient(start())) {
      RawClient.Answer a = c.send("GET /boom HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertEquals(500, a.status());
      assertTrue(a.text().contains("handler bug"), a.text());
    }
  }

  @Test
  void servesAtMostTheLimitOfConnectionsAtOnce() throws Exception {
    InetSocketAddress a = start(new HttpLimits(2, 8192, 8192, 50, 10_000));
    try (RawClient first = new RawClient(a);
        RawClient second = new RawClient(a);
        RawClient third = new RawClient(a)) {
      assertEquals(200, first.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
      assertEquals(200, second.send("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
      third.send("GET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
      Thread.sleep(300);
      assertFalse(seen.contains("GET /3"), "a third connection waits while two are open");
      first.close();
      assertEquals(200, third.read().status());
    }
  }

  @Test
  void closesAConnectionIdlePastTheLimit() throws Exception {
    try (RawClient c = new RawClient(start(new HttpLimits(4, 8192, 8192, 50, 200)))) {
      assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status());
      long t0 = System.nanoTime();
      assertTrue(c.closedByServer());
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
    }
  }

  @Test
  void closeCutsOpenConnectionsAndStopsListening() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    server =
        HttpServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            (request, response) -> {
              inHandler.countDown();
              try (InputStream in = request.body()) {
                count(in);
              }
            },
            HttpLimits.DEFAULT);
    InetSocketAddress a = server.address();
    try (RawClient c = new RawClient(a)) {
      c.send("PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nsome");
      assertTrue(inHandler.await(5, TimeUnit.SECONDS));
      server.close();
      assertTrue(c.closedByServer());
    }
    assertFalse(server.serving());
    assertThrows(IOException.class, () -> new RawClient(a).send("GET / HTTP/1.1\r\n\r\n").read());
  }

  @Test
  void limitsMustBePositive() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new HttpLimits(0, 1, 1, 1, 1));
    assertEquals("connections (0) must be positive", e.getMessage());
  }

  private static long count(InputStream in) throws IOException {
    byte[] b = new byte[8192];
    long n = 0;
    for (int r; (r = in.read(b)) >= 0; ) {
      n += r;
    }
    return n;
  }
}
