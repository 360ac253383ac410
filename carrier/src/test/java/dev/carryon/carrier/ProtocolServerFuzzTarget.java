package dev.carryon.carrier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.carrier.protocol.CarrierRoot;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.protocol.Protocol;
import dev.carryon.carrier.protocol.ProtocolHandler;
import dev.carryon.carrier.protocol.WireReply;
import dev.carryon.carrier.protocol.WireRequest;
import dev.carryon.testdata.fuzz.Field;
import dev.carryon.testdata.fuzz.FuzzInput;
import dev.carryon.testdata.fuzz.FuzzTarget;
import dev.carryon.testdata.fuzz.Mutator;
import dev.carryon.testdata.fuzz.Seed;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Fuzzes the carrier protocol's server core, {@link ProtocolHandler}, as a phone or {@code carryon
 * serve} runs it for a client it must not trust: request paths, queries, headers (token, protocol
 * version, lock id, range, manifest conditions, lengths) and bodies (JSON operations and locks,
 * manifests, file writes). The input is one file of HTTP/1.1 requests as a client sends them,
 * separated by {@link #NEXT} lines; {@code {T}}, {@code {L}} and {@code {V}} in it stand for the
 * server's token, a write lock the target takes first and the served manifest's version, so that
 * mutations reach past those checks. Each input is served from a fresh copy of a carrier carryon
 * made, in the scratch folder beside a canary file.
 *
 * <p>The handler must answer every request: an error answer of status 4xx (or 501) whose JSON
 * body names its code and says why is the documented refusal, reported as a {@link Refused}; a
 * 5xx answer, an answer whose body does not match its length or is not the JSON it says, a change
 * outside the carrier folder, or anything thrown is a finding.
 */
public final class ProtocolServerFuzzTarget implements FuzzTarget {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Separates requests in an input file. */
  static final String NEXT = "\r\n--next-request--\r\n";

  /** The input's file. */
  static final String REQUESTS = "requests.http";

  /** The server's token. */
  private static final String TOKEN = "fuzz-token-0123456789abcdef0123456789abcdef";

  /** What the canary beside the carrier holds; it must stay so. */
  private static final String CANARY = "not the carrier's";

  /**
   * Once a request made a file longer than this (a write at a far offset, a truncate), the input's
   * later requests are not run: hashing or merging that file is work in proportion to its length,
   * which the client chose, and may rightly take longer than the hang limit.
   */
  private static final long MAX_FILE = 64 << 20;

  /** The carrier served to every input (files by carrier name). */
  private FuzzInput carrier;

  /** An error answer: the protocol's clean refusal of a request. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  @Override
  public String name() {
    return "protocol-server";
  }

  @Override
  public List<Seed> seeds(Path work) throws Exception {
    carrier = CarrierSeeds.all(work).get(1).files().without(FolderStorage.LOCK_FILE);
    byte[] manifest = carrier.get(CarrierFiles.MANIFEST);
    String lock = "Carryon-Lock: {L}\r\n";
    List<Seed> seeds = new ArrayList<>();
    seeds.add(seed("reads", List.of(
        request("GET", Protocol.INFO, "", ""),
        request("GET", Protocol.MANIFEST, "", ""),
        request("GET", Protocol.FILES + "?dir=layers", "", ""),
        request("HEAD", Protocol.FILES + "/cow.qcow2", "", ""),
        request("GET", Protocol.FILES + "/base.qcow2", "Range: bytes=512-1023\r\n", ""),
        request("GET", Protocol.FILES + "/layers/L3.qcow2", "Range: bytes=0-99\r\n", ""))));
    seeds.add(seed("writes and operations", List.of(
        request("PUT", Protocol.FILES + "/layers/L9.qcow2?offset=0&length=3", lock, "ABC"),
        request("PUT", Protocol.FILES + "/layers/L9.qcow2?offset=65536&length=4", lock, "DEFG"),
        op(lock, "{\"op\":\"hash\",\"name\":\"layers/L9.qcow2\",\"length\":-1}"),
        op(lock, "{\"op\":\"truncate\",\"name\":\"layers/L9.qcow2\",\"size\":2}"),
        op(lock, "{\"op\":\"force\",\"name\":\"layers/L9.qcow2\"}"),
        op(lock, "{\"op\":\"mkdir\",\"folder\":\"tmp\"}"),
        op(lock, "{\"op\":\"link\",\"from\":\"layers/L9.qcow2\",\"to\":\"layers/L10.qcow2\"}"),
        op(lock, "{\"op\":\"rename\",\"from\":\"layers/L10.qcow2\",\"to\":\"tmp/L10.qcow2\"}"),
        op(lock, "{\"op\":\"force-folder\",\"folder\":\"layers\"}"),
        op(lock, "{\"op\":\"delete\",\"name\":\"layers/L9.qcow2\"}"))));
    seeds.add(seed("a server-side merge", List.of(
        op(lock, "{\"op\":\"merge\",\"top\":\"layers/L3.qcow2\",\"into\":\"layers/L2.qcow2\","
            + "\"below\":[\"cow.qcow2\",\"base.qcow2\"]}"))));
    seeds.add(seed("the manifest replaced", List.of(
        request("PUT", Protocol.MANIFEST, lock + "If-Match: \"{V}\"\r\n", new String(manifest, StandardCharsets.UTF_8)))));
    seeds.add(seed("locks", List.of(
        request("PUT", Protocol.LOCK + "/{L}", "", ""),
        request("DELETE", Protocol.LOCK + "/{L}", "", ""),
        request("POST", Protocol.LOCK, "", "{\"owner\":\"another host\",\"ttlSeconds\":300}"))));
    seeds.add(seed("the page", List.of(
        "GET /?token={T} HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nCookie: a=b; carryon_token={T}\r\n\r\n")));
    return seeds;
  }

  private static Seed seed(String name, List<String> requests) {
    return new Seed(name, FuzzInput.of(REQUESTS, String.join(NEXT, requests).getBytes(StandardCharsets.UTF_8)), List.of());
  }

  private static String op(String lock, String json) {
    return request("POST", Protocol.OPS, lock, json);
  }

  /** A request with the token and protocol version, {@code headers} and {@code body}. */
  private static String request(String method, String path, String headers, String body) {
    return method + " /" + path + " HTTP/1.1\r\nAuthorization: Bearer {T}\r\nCarryon-Protocol: 1\r\n" + headers
        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
  }

  @Override
  public void run(Path input, Path scratch) throws Exception {
    Path folder = scratch.resolve("carrier");
    carrier.writeTo(folder);
    Path canary = Files.writeString(scratch.resolve("canary"), CANARY);
    String text = new String(Files.readAllBytes(input.resolve(REQUESTS)), StandardCharsets.ISO_8859_1);
    Refused first = null;
    try (CarrierRoot root = CarrierRoot.single(folder, TOKEN, "fuzz", Clock.systemUTC())) {
      ProtocolHandler handler = new ProtocolHandler(root);
      String lock = JSON.readTree(body(handler.handle(parse(
          "POST /" + Protocol.LOCK + " HTTP/1.1\r\nAuthorization: Bearer " + TOKEN + "\r\nCarryon-Protocol: 1\r\n\r\n"
              + "{\"owner\":\"fuzz\",\"ttlSeconds\":60}")))).path("lock").asText();
      String version = handler.handle(parse("GET /" + Protocol.MANIFEST + " HTTP/1.1\r\nAuthorization: Bearer " + TOKEN
          + "\r\nCarryon-Protocol: 1\r\n\r\n")).headers().getOrDefault("ETag", "").replace("\"", "");
      for (String r : text.split(NEXT, 64)) {
        WireRequest request = parse(r.replace("{T}", TOKEN).replace("{L}", lock).replace("{V}", version));
        WireReply reply = handler.handle(request);
        Refused refused = judge(request, reply);
        if (first == null) {
          first = refused;
        }
        if (largest(folder) > MAX_FILE) {
          // A request may now rightly read all of it (hash, merge): work the input asked for.
          break;
        }
      }
    }
    if (!Files.readString(canary).equals(CANARY)) {
      throw new AssertionError("the canary beside the carrier was changed");
    }
    try (Stream<Path> s = Files.list(scratch)) {
      List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
      if (!names.equals(List.of("canary", "carrier"))) {
        throw new AssertionError("files appeared beside the carrier: " + names);
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** Bytes of the largest file under {@code folder} (sparse files by their length). */
  private static long largest(Path folder) throws IOException {
    try (Stream<Path> s = Files.walk(folder)) {
      long max = 0;
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(p)) {
          max = Math.max(max, Files.size(p));
        }
      }
      return max;
    }
  }

  /**
   * Checks {@code reply} to {@code request}: its body as long as it says, JSON where it says so;
   * an error answer a 4xx (or 501) naming its code and why. Returns the refusal, or null.
   */
  private static Refused judge(WireRequest request, WireReply reply) throws IOException {
    String what = request.method() + " " + request.rawPath() + " answered " + reply.status();
    byte[] body = body(reply);
    String type = reply.headers().getOrDefault("Content-Type", "");
    if (reply.status() >= 500 && reply.status() != 501) {
      throw new AssertionError(what + ": " + new String(body, StandardCharsets.UTF_8));
    }
    JsonNode json = null;
    if (type.equals("application/json")) {
      try {
        json = JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError(what + " with a body that is not JSON: " + e.getMessage());
      }
    }
    if (reply.status() < 400) {
      return null;
    }
    if (json == null || !json.path("error").isTextual() || json.path("message").asText().isEmpty()) {
      throw new AssertionError(what + " without the protocol's error body: " + new String(body, StandardCharsets.UTF_8));
    }
    Refused r = new Refused(json.path("error").asText() + ": " + json.path("message").asText());
    // Refusals are told apart by code and the shape of the message, as if thrown from there.
    // Names, numbers and quoted values vary; the first words that are left say where it came from.
    String[] words = json.path("message").asText().replaceAll("'[^']*'|\"[^\"]*\"|\\S*[/.0-9]\\S*", "_").split("\\s+");
    String shape = String.join(" ", Arrays.copyOf(words, Math.min(5, words.length)));
    r.setStackTrace(new StackTraceElement[] {
      new StackTraceElement("protocol." + json.path("error").asText(), shape, null, -1)
    });
    return r;
  }

  /** The body {@code reply} writes; fails when it writes other than its length. */
  private static byte[] body(WireReply reply) throws IOException {
    if (!reply.sendsBody()) {
      return new byte[0];
    }
    Bounded out = new Bounded(reply.length());
    reply.writeBody(out);
    if (out.count != reply.length()) {
      throw new AssertionError("an answer of " + reply.status() + " declared " + reply.length()
          + " bytes and wrote " + out.count);
    }
    return Arrays.copyOf(out.kept, (int) Math.min(out.count, out.kept.length));
  }

  /** Counts what is written, keeps up to 1 MiB of it, and fails past the declared length. */
  private static final class Bounded extends OutputStream {
    private final long declared;
    private final byte[] kept;
    private long count;

    Bounded(long declared) {
      this.declared = declared;
      this.kept = new byte[(int) Math.min(Math.max(declared, 0), 1 << 20)];
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (count + len > declared) {
        throw new AssertionError("an answer wrote past its declared length " + declared);
      }
      int keep = (int) Math.max(0, Math.min(len, kept.length - count));
      System.arraycopy(b, off, kept, (int) count, keep);
      count += len;
    }
  }

  /**
   * {@code text} as the request a small HTTP server would hand over: the request line's method and
   * target (path and query), headers by lower-case name, the declared length (-1 when none or not
   * a number) and the rest as the body. Never fails: whatever parses is the handler's to judge.
   */
  static WireRequest parse(String text) {
    int end = text.indexOf("\r\n\r\n");
    String head = end < 0 ? text : text.substring(0, end);
    byte[] body = end < 0 ? new byte[0] : text.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r\n");
    String[] line = lines[0].split(" ", 3);
    String method = line[0].toUpperCase(Locale.ROOT);
    String target = line.length > 1 ? line[1] : "/";
    int q = target.indexOf('?');
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.putIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    long length = -1;
    try {
      length = Long.parseLong(headers.getOrDefault("content-length", "-1"));
    } catch (NumberFormatException e) {
      // A server would refuse it or read the body to its end: the latter reaches the handler.
    }
    return new WireRequest(method, q < 0 ? target : target.substring(0, q), q < 0 ? null : target.substring(q + 1),
        headers, length, new ByteArrayInputStream(body));
  }

  @Override
  public FuzzInput mutate(FuzzInput in, List<Field> fields, Mutator m) {
    byte[] bytes = in.get(REQUESTS);
    if (bytes == null) {
      return m.mutate(in, fields);
    }
    Random r = m.random();
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    List<String> requests = new ArrayList<>(Arrays.asList(text.split(NEXT, 64)));
    int i = r.nextInt(requests.size());
    String changed = switch (r.nextInt(6)) {
      case 0 -> new String(m.mutateBytes(requests.get(i).getBytes(StandardCharsets.ISO_8859_1), REQUESTS),
          StandardCharsets.ISO_8859_1);
      case 1 -> mutateBody(requests.get(i), r);
      case 2 -> replaceInTarget(requests.get(i), r);
      case 3 -> replaceHeader(requests.get(i), r);
      case 4 -> {
        // A request of another input, or one repeated.
        requests.add(r.nextInt(requests.size() + 1), requests.get(r.nextInt(requests.size())));
        yield requests.get(i);
      }
      default -> requests.size() > 1 ? null : requests.get(i);
    };
    if (changed == null) {
      requests.remove(i);
    } else {
      requests.set(i, changed);
    }
    return in.with(REQUESTS, String.join(NEXT, requests).getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Path pieces, query values and header values worth trying. */
  private static final List<String> EDGES = List.of(
      "", "..", "%2e%2e", "%2E%2e/", "%2F", "%00", "%", "%zz", "/", "//", "\\", ".hidden", "carryon.json", "carryon.lock",
      "tmp/carryon.json.new", "layers/L2.qcow2", "layers/L999999999999.qcow2", "states", "../canary", "a".repeat(300),
      "-1", "0", "1", "-9223372036854775808", "9223372036854775807", "17592186044416", "4294967296", "1e3", "0x10",
      "{L}", "{T}", "{V}", "\"{V}\"", "*", "bytes=0-", "bytes=-0", "bytes=5-2", "bytes=0-1,3-4", "bytes=99999999999-",
      "Bearer ", "Bearer {T}x", "2", "1, 1", "\u00e9", "\t");

  private static String edge(Random r) {
    return EDGES.get(r.nextInt(EDGES.size()));
  }

  /** The request with its JSON body mutated (or replaced by an edge when it is none). */
  private static String mutateBody(String request, Random r) {
    int end = request.indexOf("\r\n\r\n");
    if (end < 0) {
      return request;
    }
    byte[] body = request.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1);
    byte[] json = new JsonMutator(r).mutate(body);
    String newBody = json == null ? edge(r) : new String(json, StandardCharsets.ISO_8859_1);
    String head = request.substring(0, end);
    // Mostly keep the declared length true, so that the body is read and parsed.
    if (r.nextInt(4) != 0) {
      head = head.replaceAll("(?i)content-length: *[^\r]*", "Content-Length: " + newBody.length());
    }
    return head + "\r\n\r\n" + newBody;
  }

  /** The request with a piece of its path or a query value replaced. */
  private static String replaceInTarget(String request, Random r) {
    int sp = request.indexOf(' ');
    int sp2 = sp < 0 ? -1 : request.indexOf(' ', sp + 1);
    if (sp2 < 0) {
      return request;
    }
    String target = request.substring(sp + 1, sp2);
    String[] parts = target.split("(?=[/?&=])");
    int k = r.nextInt(parts.length);
    String p = parts[k];
    String lead = p.isEmpty() || "/?&=".indexOf(p.charAt(0)) < 0 ? "" : p.substring(0, 1);
    parts[k] = r.nextInt(4) == 0 ? lead : lead + edge(r);
    if (r.nextInt(5) == 0) {
      parts[k] = parts[k] + (r.nextBoolean() ? "&offset=" : "&length=") + edge(r);
    }
    return request.substring(0, sp + 1) + String.join("", parts) + request.substring(sp2);
  }

  /** The request with a header's value replaced, a header dropped, or one added. */
  private static String replaceHeader(String request, Random r) {
    List<String> names = List.of("Authorization", "Carryon-Protocol", "Carryon-Lock", "Content-Length", "Range",
        "If-Match", "If-None-Match", "Cookie");
    String name = names.get(r.nextInt(names.size()));
    String pattern = "(?im)^" + name + ":[^\r]*\r\n";
    int end = request.indexOf("\r\n\r\n");
    if (end < 0) {
      return request;
    }
    String head = request.substring(0, end + 2);
    String rest = request.substring(end + 2);
    head = head.replaceAll(pattern, "");
    if (r.nextInt(4) != 0) {
      String value = r.nextInt(3) == 0 ? edge(r) + edge(r) : edge(r);
      head = head + name + ": " + value + "\r\n";
    }
    return head + rest;
  }

  @Override
  public String unexpected(Throwable error, Path input) {
    return error instanceof Refused ? null : "not an error answer of the protocol";
  }
}
