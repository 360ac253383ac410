package dev.carryon.carrier.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.carrier.storage.StorageLockedException;
import dev.carryon.testdata.FileTrees;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every refusal of the carrier protocol, spoken as raw HTTP to a real server, each checked to
 * change nothing in the carrier's folder (and each beside a request that does pass, so a refusal
 * is not an accident of a broken server). A carrier server's test extends this and says how to
 * start it over a carrier folder: {@code carryon serve}'s server does, and so can the phone's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class WireRefusalContract {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A running server of one carrier.
   *
   * @param carrier the carrier's URL, ending in {@code /}
   * @param token the server's token
   * @param folder the carrier's folder
   * @param server stops the server
   */
  public record Served(URI carrier, String token, Path folder, Closeable server) {}

  /** Starts a server of a carrier folder (which may not exist yet) somewhere under {@code dir}. */
  protected abstract Served start(Path dir) throws IOException;

  @TempDir static Path dir;

  /** The server under test, one for the class. */
  private Served served;

  @BeforeAll
  void startServer() throws IOException {
    served = start(dir);
  }

  @AfterAll
  void stopServer() throws IOException {
    served.server().close();
  }

  /** A fresh carrier for each test: a manifest, one layer, empty states/ and tmp/. */
  @BeforeEach
  void freshCarrier() throws IOException {
    Path f = served.folder();
    if (Files.exists(f)) {
      try (Stream<Path> s = Files.list(f)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          if (!p.getFileName().toString().equals(FolderStorage.LOCK_FILE)) {
            FileTrees.deleteTree(p);
          }
        }
      }
    }
    Files.createDirectories(f.resolve("layers"));
    Files.createDirectories(f.resolve("states"));
    Files.createDirectories(f.resolve("tmp"));
    Files.writeString(f.resolve("carryon.json"), "{\"n\":1}");
    Files.writeString(f.resolve("layers/L2.qcow2"), "hello");
  }

  @Test
  void everyAnswerNamesTheProtocolVersion() throws IOException {
    RawHttp.Answer a = request("GET", Protocol.INFO, token(), null, "");
    assertEquals(200, a.status(), a.text());
    assertEquals("1", a.headers().get("carryon-protocol"));
    assertEquals(1, json(a).path("protocol").asInt());
    assertTrue(json(a).path("carrier").asBoolean(), a.text());
  }

  @Test
  void noTokenOrAWrongOneIsRefused() throws IOException {
    Map<String, String> before = snapshot();
    expect(401, "unauthorized", request("GET", Protocol.INFO, null, null, ""));
    expect(401, "unauthorized", request("GET", Protocol.INFO, "Bearer " + wrongToken(), null, ""));
    expect(401, "unauthorized", request("GET", Protocol.INFO, "Basic " + served.token(), null, ""));
    expect(
        401,
        "unauthorized",
        request("PUT", Protocol.FILES + "/layers/L2.qcow2?offset=0&length=3", null, null, "ABC"));
    expect(
        401,
        "unauthorized",
        request("POST", Protocol.LOCK, "Bearer " + wrongToken(), null, lockBody("thief")));
    expect(
        401,
        "unauthorized",
        request(
            "POST", Protocol.OPS, "Bearer " + wrongToken(), null,
            "{\"op\":\"delete\",\"name\":\"layers/L2.qcow2\"}"));
    assertEquals(before, snapshot());
  }

  @Test
  void namesOutsideTheCarrierAreRefused() throws IOException {
    Map<String, String> before = snapshot();
    String lock = takeLock("writer");
    try {
      for (String path :
          List.of(
              Protocol.FILES + "/..%2Fcarryon.json",
              Protocol.FILES + "/layers%2FL2.qcow2",
              Protocol.FILES + "/layers%2fL2.qcow2",
              Protocol.FILES + "/../carryon.json",
              Protocol.FILES + "/layers/../../carryon.json",
              Protocol.FILES + "/%2e%2e/carryon.json",
              Protocol.FILES + "/layers/%2E%2E/carryon.json",
              Protocol.FILES + "//etc/passwd",
              Protocol.FILES + "/layers/L2.qcow2/x",
              Protocol.FILES + "/.hidden")) {
        RawHttp.Answer a = request("PUT", path + "?offset=0&length=3", token(), lock, "ABC");
        assertEquals(400, a.status(), path + ": " + a.text());
        assertEquals("bad-name", json(a).path("error").asText(), path + ": " + a.text());
      }
      // Not a character a URI may hold: the server's HTTP parser may refuse it before the protocol
      // sees it, so only the status is the protocol's. No body: a parser that answers and closes
      // at once would reset the connection over unread bytes before the answer is read.
      RawHttp.Answer backslash =
          request(
              "PUT", Protocol.FILES + "/layers\\L2.qcow2?offset=0&length=0", token(), lock, "");
      assertEquals(400, backslash.status(), backslash.text());
      for (String op :
          List.of(
              "{\"op\":\"delete\",\"name\":\"../carryon.json\"}",
              "{\"op\":\"delete\",\"name\":\"/etc/passwd\"}",
              "{\"op\":\"rename\",\"from\":\"layers/L2.qcow2\",\"to\":\"../L2.qcow2\"}",
              "{\"op\":\"truncate\",\"name\":\"layers/../carryon.json\",\"size\":0}",
              "{\"op\":\"mkdir\",\"folder\":\"a/b\"}",
              "{\"op\":\"hash\",\"name\":\"/etc/passwd\",\"length\":-1}",
              "{\"op\":\"merge\",\"top\":\"layers/L2.qcow2\",\"into\":\"cow.qcow2\","
                  + "\"below\":[\"/etc/passwd\"]}")) {
        expect(400, "bad-name", request("POST", Protocol.OPS, token(), lock, op));
      }
      expect(400, "bad-name", request("GET", Protocol.FILES + "?dir=..", token(), null, ""));
      expect(400, "bad-name", request("GET", Protocol.FILES + "?dirs=layers,..", token(), null, ""));
      expect(400, "bad-name", request("GET", Protocol.FILES + "?dirs=layers,a%2Fb", token(), null, ""));
      expect(400, "bad-request", request("GET", Protocol.FILES + "?dir=layers&dirs=states", token(), null, ""));
      expect(400, "bad-request",
          request("GET", Protocol.FILES + "?dirs=" + ",".repeat(Protocol.MAX_LISTED_FOLDERS), token(), null, ""));
      // The same request with a good name passes.
      RawHttp.Answer ok =
          request(
              "PUT", Protocol.FILES + "/layers/L3.qcow2?offset=0&length=3", token(), lock, "ABC");
      assertEquals(204, ok.status(), ok.text());
      assertEquals("ABC", Files.readString(served.folder().resolve("layers/L3.qcow2")));
      Files.delete(served.folder().resolve("layers/L3.qcow2"));
    } finally {
      releaseLock(lock);
    }
    assertEquals(before, snapshot());
  }

  @Test
  void aBodyLongerOrShorterThanDeclaredWritesNothing() throws IOException {
    Map<String, String> before = snapshot();
    String lock = takeLock("writer");
    try {
      String path = Protocol.FILES + "/layers/L2.qcow2?offset=0&length=3";
      // Content-Length says 5 where the write says 3.
      expect(400, "length-mismatch", request("PUT", path, token(), lock, "HELLO"));
      // A chunked body of 5 bytes where the write says 3.
      expect(
          400,
          "length-mismatch",
          RawHttp.send(
              served.carrier(),
              "PUT " + at(path) + " HTTP/1.1\r\n" + auth(token()) + "Carryon-Lock: " + lock
                  + "\r\nTransfer-Encoding: chunked\r\n",
              "5\r\nHELLO\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
              false));
      // A body cut after 2 of its 3 bytes: the server may not even get to answer.
      RawHttp.Answer cut;
      try {
        cut =
            RawHttp.send(
                served.carrier(),
                "PUT " + at(path) + " HTTP/1.1\r\n" + auth(token()) + "Carryon-Lock: " + lock
                    + "\r\nContent-Length: 3\r\n",
                "HE".getBytes(StandardCharsets.US_ASCII),
                true);
        assertTrue(cut.status() >= 400, cut.status() + " " + cut.text());
      } catch (IOException noAnswer) {
        // The connection was closed without an answer: also a refusal.
      }
      assertEquals(before, snapshot());
      RawHttp.Answer ok = request("PUT", path, token(), lock, "JEL");
      assertEquals(204, ok.status(), ok.text());
      assertEquals("JELlo", Files.readString(served.folder().resolve("layers/L2.qcow2")));
    } finally {
      releaseLock(lock);
    }
  }

  @Test
  void anOrderedWriteWaitsForTheWritesBeforeItAndIsRefusedPastItsFilesEnd() throws Exception {
    String lock = takeLock("writer");
    try {
      String file = Protocol.FILES + "/tmp/S9.zst";
      // Sent first, it lands second: the server holds it until the file reaches its offset.
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        Future<RawHttp.Answer> second =
            pool.submit(() -> request("PUT", file + "?offset=3&length=3&ordered=1", token(), lock, "DEF"));
        Thread.sleep(200);
        assertFalse(second.isDone(), "an ordered write landed before the write it follows");
        assertFalse(Files.exists(served.folder().resolve("tmp/S9.zst")));
        assertEquals(204, request("PUT", file + "?offset=0&length=3", token(), lock, "ABC").status());
        RawHttp.Answer landed = second.get(30, TimeUnit.SECONDS);
        assertEquals(204, landed.status(), landed.text());
      } finally {
        pool.shutdownNow();
      }
      assertEquals("ABCDEF", Files.readString(served.folder().resolve("tmp/S9.zst")));
      // A file longer than the offset already: refused at once, nothing written.
      Map<String, String> before = snapshot();
      expect(409, "out-of-order", request("PUT", file + "?offset=2&length=3&ordered=1", token(), lock, "XYZ"));
      expect(400, "bad-request", request("PUT", file + "?offset=6&length=3&ordered=yes", token(), lock, "XYZ"));
      assertEquals(before, snapshot());
    } finally {
      releaseLock(lock);
    }
  }

  @Test
  void aBodyOverTheLimitIsRefusedBeforeItIsRead() throws IOException {
    Map<String, String> before = snapshot();
    String lock = takeLock("writer");
    try {
      expect(
          413,
          "too-large",
          RawHttp.send(
              served.carrier(),
              "PUT " + at(Protocol.MANIFEST) + " HTTP/1.1\r\n" + auth(token()) + "Carryon-Lock: "
                  + lock + "\r\nIf-None-Match: *\r\nContent-Length: " + (Protocol.MAX_MANIFEST + 1)
                  + "\r\n",
              new byte[0],
              true));
      expect(
          413,
          "too-large",
          request(
              "PUT",
              Protocol.FILES + "/layers/L2.qcow2?offset=0&length=" + (Protocol.MAX_WRITE + 1),
              token(), lock, "x"));
    } finally {
      releaseLock(lock);
    }
    assertEquals(before, snapshot());
  }

  @Test
  void aRangePastTheEndIsRefused() throws IOException {
    String path = Protocol.FILES + "/layers/L2.qcow2";
    expect(416, "range-not-satisfiable", get(path, "bytes=5-"));
    expect(416, "range-not-satisfiable", get(path, "bytes=100-200"));
    expect(400, "bad-request", get(path, "bytes=3-1"));
    expect(400, "bad-request", get(path, "lines=1-2"));
    RawHttp.Answer part = get(path, "bytes=2-");
    assertEquals(206, part.status(), part.text());
    assertEquals("llo", part.text());
    assertEquals("bytes 2-4/5", part.headers().get("content-range"));
    expect(404, "not-found", get(Protocol.FILES + "/layers/L9.qcow2", null));
  }

  @Test
  void aSecondWriterIsRefusedWhileTheLockIsHeld() throws IOException {
    Map<String, String> before = snapshot();
    String lock = takeLock("writer A on host a");
    try {
      RawHttp.Answer second = request("POST", Protocol.LOCK, token(), null, lockBody("writer B"));
      expect(423, "locked", second);
      assertEquals("writer A on host a", json(second).path("holder").asText(), second.text());
      assertTrue(json(second).hasNonNull("expires"), second.text());
      String write = Protocol.FILES + "/layers/L2.qcow2?offset=0&length=3";
      expect(423, "lock-required", request("PUT", write, token(), null, "BBB"));
      expect(423, "lock-required", request("PUT", write, token(), "0123456789abcdef", "BBB"));
      expect(
          423,
          "lock-required",
          request("POST", Protocol.OPS, token(), null, "{\"op\":\"delete\",\"name\":\"layers/L2.qcow2\"}"));
      expect(
          423,
          "lock-required",
          request("PUT", Protocol.LOCK + "/0123456789abcdef", token(), null, ""));
      assertEquals(before, snapshot());
      // A reads while nobody else may write.
      assertEquals(200, request("GET", Protocol.MANIFEST, token(), null, "").status());
    } finally {
      releaseLock(lock);
    }
    String next = takeLock("writer B");
    releaseLock(next);
  }

  @Test
  void aLocalCommandOnTheFolderAndARemoteWriterExcludeEachOther() throws IOException {
    FolderStorage local = FolderStorage.of(served.folder());
    try (StorageLock held = local.lock("carryon end (local)")) {
      expect(423, "locked", request("POST", Protocol.LOCK, token(), null, lockBody("remote")));
    }
    String lock = takeLock("remote writer");
    try {
      StorageLockedException e =
          assertThrows(StorageLockedException.class, () -> local.lock("carryon end (local)"));
      assertTrue(e.getMessage().contains("remote writer"), e.getMessage());
    } finally {
      releaseLock(lock);
    }
    local.lock("carryon end (local)").close();
  }

  @Test
  void aNewerProtocolVersionIsRefused() throws IOException {
    Map<String, String> before = snapshot();
    RawHttp.Answer a =
        RawHttp.send(
            served.carrier(),
            "GET " + at(Protocol.INFO) + " HTTP/1.1\r\n" + auth(token()) + "Carryon-Protocol: 2\r\n",
            new byte[0],
            false);
    expect(400, "unsupported-protocol", a);
    assertEquals("[1]", json(a).path("supported").toString());
    String lock = takeLock("writer");
    try {
      expect(
          400,
          "unsupported-protocol",
          RawHttp.send(
              served.carrier(),
              "PUT " + at(Protocol.FILES + "/layers/L2.qcow2?offset=0&length=3") + " HTTP/1.1\r\n"
                  + auth(token()) + "Carryon-Lock: " + lock
                  + "\r\nCarryon-Protocol: 2\r\nContent-Length: 3\r\n",
              "ABC".getBytes(StandardCharsets.US_ASCII),
              false));
    } finally {
      releaseLock(lock);
    }
    assertEquals(before, snapshot());
  }

  @Test
  void theManifestIsReplacedOnlyFromTheVersionRead() throws IOException {
    Map<String, String> before = snapshot();
    RawHttp.Answer read = request("GET", Protocol.MANIFEST, token(), null, "");
    String etag = read.headers().get("etag");
    assertEquals("\"" + Hex.sha256("{\"n\":1}".getBytes(StandardCharsets.UTF_8)) + "\"", etag);
    String lock = takeLock("writer");
    try {
      expect(412, "manifest-changed", putManifest(lock, "If-Match: \"" + "0".repeat(64) + "\"", "{}"));
      expect(412, "manifest-changed", putManifest(lock, "If-None-Match: *", "{}"));
      expect(400, "bad-request", putManifest(lock, null, "{}"));
      expect(423, "lock-required", putManifest(null, "If-Match: " + etag, "{}"));
      assertEquals(before, snapshot());
      RawHttp.Answer ok = putManifest(lock, "If-Match: " + etag, "{\"n\":2}");
      assertEquals(200, ok.status(), ok.text());
      assertEquals(
          Hex.sha256("{\"n\":2}".getBytes(StandardCharsets.UTF_8)),
          json(ok).path("version").asText());
      assertEquals("{\"n\":2}", Files.readString(served.folder().resolve("carryon.json")));
    } finally {
      releaseLock(lock);
    }
  }

  @Test
  void unknownOperationsAndMalformedBodiesAreRefused() throws IOException {
    Map<String, String> before = snapshot();
    String lock = takeLock("writer");
    try {
      expect(501, "not-supported", request("POST", Protocol.OPS, token(), lock, "{\"op\":\"chmod\"}"));
      expect(400, "bad-request", request("POST", Protocol.OPS, token(), lock, "{\"op\":"));
      expect(400, "bad-request", request("POST", Protocol.OPS, token(), lock, "[1]"));
      expect(
          400,
          "bad-request",
          request(
              "POST", Protocol.OPS, token(), lock,
              "{\"op\":\"delete\",\"name\":\"layers/L2.qcow2\",\"recursive\":true}"));
      expect(
          400,
          "bad-request",
          request(
              "POST", Protocol.OPS, token(), lock,
              "{\"op\":\"truncate\",\"name\":\"layers/L2.qcow2\",\"size\":-1}"));
      expect(400, "bad-request", request("POST", Protocol.LOCK, token(), null, "{\"owner\":\"x\",\"ttlSeconds\":1}"));
      expect(404, "not-found", request("GET", "api/v1/nothing", token(), null, ""));
    } finally {
      releaseLock(lock);
    }
    assertEquals(before, snapshot());
  }

  private RawHttp.Answer putManifest(String lock, String condition, String body)
      throws IOException {
    return RawHttp.send(
        served.carrier(),
        "PUT " + at(Protocol.MANIFEST) + " HTTP/1.1\r\n" + auth(token())
            + (lock == null ? "" : "Carryon-Lock: " + lock + "\r\n")
            + (condition == null ? "" : condition + "\r\n")
            + "Content-Length: " + body.length() + "\r\n",
        body.getBytes(StandardCharsets.UTF_8),
        false);
  }

  private RawHttp.Answer get(String path, String range) throws IOException {
    return RawHttp.send(
        served.carrier(),
        "GET " + at(path) + " HTTP/1.1\r\n" + auth(token())
            + (range == null ? "" : "Range: " + range + "\r\n"),
        new byte[0],
        false);
  }

  /** Sends {@code method path} with an optional authorization value, lock id and body. */
  private RawHttp.Answer request(
      String method, String path, String authorization, String lock, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return RawHttp.send(
        served.carrier(),
        method + " " + at(path) + " HTTP/1.1\r\n"
            + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
            + (lock == null ? "" : "Carryon-Lock: " + lock + "\r\n")
            + "Content-Length: " + bytes.length + "\r\n",
        bytes,
        false);
  }

  private String takeLock(String owner) throws IOException {
    RawHttp.Answer a = request("POST", Protocol.LOCK, token(), null, lockBody(owner));
    assertEquals(200, a.status(), a.text());
    return json(a).path("lock").asText();
  }

  private void releaseLock(String id) throws IOException {
    assertEquals(204, request("DELETE", Protocol.LOCK + "/" + id, token(), null, "").status());
  }

  private static String lockBody(String owner) {
    return "{\"owner\":\"" + owner + "\",\"ttlSeconds\":60}";
  }

  private String at(String path) {
    return served.carrier().getRawPath() + path;
  }

  private String token() {
    return "Bearer " + served.token();
  }

  private static String auth(String value) {
    return "Authorization: " + value + "\r\n";
  }

  private String wrongToken() {
    String t = served.token();
    return t.substring(0, t.length() - 1) + (t.endsWith("0") ? "1" : "0");
  }

  private static void expect(int status, String code, RawHttp.Answer a) throws IOException {
    assertEquals(status, a.status(), a.text());
    JsonNode body = json(a);
    assertEquals(code, body.path("error").asText(), a.text());
    assertFalse(body.path("message").asText().isEmpty(), a.text());
  }

  private static JsonNode json(RawHttp.Answer a) throws IOException {
    return JSON.readTree(a.body());
  }

  /** Every file under the carrier folder with its SHA-256, but the lock file's owner words. */
  private Map<String, String> snapshot() throws IOException {
    Map<String, String> files = new TreeMap<>();
    Path f = served.folder();
    try (Stream<Path> s = Files.walk(f)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String name = f.relativize(p).toString();
        if (name.equals(FolderStorage.LOCK_FILE)) {
          continue;
        }
        files.put(name, Files.isDirectory(p) ? "folder" : Hex.sha256(Files.readAllBytes(p)));
      }
    }
    return files;
  }
}
