package dev.carryon.carrier;

import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.protocol.CarrierRoot;
import dev.carryon.carrier.protocol.ProtocolHandler;
import dev.carryon.carrier.protocol.WireReply;
import dev.carryon.carrier.storage.ServerSideImages;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.carrier.storage.VersionedManifest;
import dev.carryon.testdata.fuzz.Field;
import dev.carryon.testdata.fuzz.FuzzInput;
import dev.carryon.testdata.fuzz.FuzzTarget;
import dev.carryon.testdata.fuzz.Mutator;
import dev.carryon.testdata.fuzz.Seed;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Fuzzes the carrier protocol's client, {@link HttpStorage}, against a server it must not trust:
 * the input is the answers (raw HTTP/1.1 responses, separated by {@link
 * ProtocolServerFuzzTarget#NEXT}) that a loopback server gives, one per request, in turn, closing
 * each connection after its answer. The client runs one fixed session through every call of the
 * storage seam (open, manifest, listing, size, ranged reads, a stream, hash, lock, write,
 * truncate, link, delete, a server-side merge, the manifest replaced, the lock released). The
 * seeds are the answers the real {@link ProtocolHandler} gave to that session on a carrier carryon
 * made; mutations change status lines, headers (lengths, ranges, ETags, types) and the JSON bodies.
 *
 * <p>Each call must return or throw an {@link IOException} whose message names the server's URL
 * (the documented refusal: the CLI prints it and exits 3 or 1); anything else thrown, a hang or an
 * allocation out of proportion to the answers is a finding.
 */
public final class ProtocolClientFuzzTarget implements FuzzTarget {
  /** The input's file. */
  static final String ANSWERS = "answers.http";

  /** The token the client sends (and the recording server takes). */
  private static final String TOKEN = "fuzz-token-0123456789abcdef0123456789abcdef";

  /** Where each refusal's message must point: the loopback server. */
  private static final String SERVER = "http://127.0.0.1:";

  @Override
  public String name() {
    return "protocol-client";
  }

  @Override
  public List<Seed> seeds(Path work) throws Exception {
    FuzzInput carrier = CarrierSeeds.all(work).get(1).files().without("carryon.lock");
    Path folder = work.resolve("served");
    carrier.writeTo(folder);
    List<byte[]> answers = new ArrayList<>();
    try (CarrierRoot root = CarrierRoot.single(folder, TOKEN, "fuzz", Clock.systemUTC())) {
      ProtocolHandler handler = new ProtocolHandler(root);
      try (FakeServer s = new FakeServer(request -> {
        byte[] answer = answer(handler.handle(ProtocolServerFuzzTarget.parse(request)));
        answers.add(answer);
        return answer;
      })) {
        session(s.uri());
      }
    }
    byte[] joined = String.join(ProtocolServerFuzzTarget.NEXT,
        answers.stream().map(a -> new String(a, StandardCharsets.ISO_8859_1)).toList()).getBytes(StandardCharsets.ISO_8859_1);
    return List.of(new Seed("the answers of carryon's own server to a whole session", FuzzInput.of(ANSWERS, joined), List.of()));
  }

  /** {@code reply} as the raw HTTP/1.1 response a server writes. */
  private static byte[] answer(WireReply reply) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringBuilder head = new StringBuilder("HTTP/1.1 " + reply.status() + " X\r\n");
    for (Map.Entry<String, String> h : reply.headers().entrySet()) {
      head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    head.append("Content-Length: ").append(reply.length()).append("\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    reply.writeBody(out);
    return out.toByteArray();
  }

  @Override
  public void run(Path input, Path scratch) throws Exception {
    String text = new String(java.nio.file.Files.readAllBytes(input.resolve(ANSWERS)), StandardCharsets.ISO_8859_1);
    List<String> answers = new ArrayList<>(Arrays.asList(text.split(ProtocolServerFuzzTarget.NEXT, 64)));
    try (FakeServer s = new FakeServer(request -> answers.isEmpty()
        ? "HTTP/1.1 503 X\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)
        : answers.remove(0).getBytes(StandardCharsets.ISO_8859_1))) {
      IOException first = session(s.uri());
      if (first != null) {
        throw first;
      }
    }
  }

  /**
   * The client's session against the server at {@code uri}: every call in turn; the first error of
   * a call (after the first, which opens the carrier), or null. Errors that do not name the server
   * fail at once.
   */
  private static IOException session(URI uri) throws IOException {
    HttpStorage s;
    try {
      s = HttpStorage.open(uri, TOKEN);
    } catch (IOException e) {
      return judged(e);
    }
    List<IOException> errors = new ArrayList<>();
    try (s) {
      Optional<VersionedManifest> m = call(errors, s::readManifest);
      call(errors, () -> s.list("layers"));
      call(errors, () -> s.size("cow.qcow2"));
      call(errors, () -> {
        ByteBuffer b = ByteBuffer.allocate(4096);
        int n = s.read("base.qcow2", 512, b);
        if (n > 4096) {
          throw new AssertionError("read " + n + " bytes into 4096");
        }
        return n;
      });
      call(errors, () -> {
        try (InputStream in = s.openRead("layers/L3.qcow2", 100)) {
          return in.readNBytes(1 << 20).length;
        }
      });
      call(errors, () -> s.hash("cow.qcow2", -1));
      StorageLock lock = call(errors, () -> s.lock("fuzz"));
      call(errors, () -> {
        s.write("layers/L9.qcow2", 0, ByteBuffer.wrap("ABC".getBytes(StandardCharsets.US_ASCII)));
        return null;
      });
      call(errors, () -> {
        s.truncate("layers/L9.qcow2", 2);
        return null;
      });
      call(errors, () -> s.link("layers/L9.qcow2", "layers/L10.qcow2"));
      call(errors, () -> {
        s.delete("layers/L10.qcow2");
        return null;
      });
      call(errors, () -> {
        Optional<ServerSideImages> server = s.serverSide();
        if (server.isPresent()) {
          server.get().merge("layers/L3.qcow2", "layers/L2.qcow2", List.of("cow.qcow2", "base.qcow2"));
        }
        return null;
      });
      if (m != null && m.isPresent()) {
        call(errors, () -> s.replaceManifest(m.get().bytes(), m.get().version()));
      }
      if (lock != null) {
        call(errors, () -> {
          lock.close();
          return null;
        });
      }
    }
    return errors.isEmpty() ? null : errors.get(0);
  }

  /** One call of the session. */
  private interface Call<T> {
    T run() throws IOException;
  }

  /** {@code c}'s result, or null when it failed with a judged error, which joins {@code errors}. */
  private static <T> T call(List<IOException> errors, Call<T> c) throws IOException {
    try {
      return c.run();
    } catch (IOException e) {
      errors.add(judged(e));
      return null;
    }
  }

  /** {@code e} when its message names the server; else a finding. */
  private static IOException judged(IOException e) {
    if (!String.valueOf(e.getMessage()).contains(SERVER)) {
      throw new AssertionError("an error that does not name the server: " + e, e);
    }
    return e;
  }

  @Override
  public String unexpected(Throwable error, Path input) {
    if (!(error instanceof IOException)) {
      return "not an IOException";
    }
    return String.valueOf(error.getMessage()).contains(SERVER) ? null : "the message does not name the server";
  }

  @Override
  public FuzzInput mutate(FuzzInput in, List<Field> fields, Mutator m) {
    byte[] bytes = in.get(ANSWERS);
    if (bytes == null) {
      return m.mutate(in, fields);
    }
    Random r = m.random();
    List<String> answers = new ArrayList<>(Arrays.asList(
        new String(bytes, StandardCharsets.ISO_8859_1).split(ProtocolServerFuzzTarget.NEXT, 64)));
    int i = r.nextInt(answers.size());
    String a = answers.get(i);
    int end = a.indexOf("\r\n\r\n");
    String head = end < 0 ? a : a.substring(0, end + 2);
    String body = end < 0 ? "" : a.substring(end + 4);
    switch (r.nextInt(6)) {
      case 0 -> {
        answers.set(i, new String(m.mutateBytes(a.getBytes(StandardCharsets.ISO_8859_1), ANSWERS), StandardCharsets.ISO_8859_1));
        return with(in, answers);
      }
      case 1 -> {
        byte[] json = new JsonMutator(r).mutate(body.getBytes(StandardCharsets.ISO_8859_1));
        body = json == null ? pick(r, BODIES) : new String(json, StandardCharsets.ISO_8859_1);
        if (r.nextInt(4) != 0) {
          head = head.replaceAll("(?im)^content-length:[^\r]*\r\n", "") + "Content-Length: " + body.length() + "\r\n";
        }
      }
      case 2 -> head = head.replaceFirst("^HTTP/1.1 [0-9]+", "HTTP/1.1 " + pick(r, STATUSES));
      case 3 -> {
        String name = pick(r, HEADERS);
        head = head.replaceAll("(?im)^" + name + ":[^\r]*\r\n", "");
        if (r.nextInt(4) != 0) {
          head = head + name + ": " + pick(r, VALUES) + "\r\n";
        }
      }
      case 4 -> answers.add(r.nextInt(answers.size() + 1), answers.get(r.nextInt(answers.size())));
      default -> {
        if (answers.size() > 1) {
          answers.remove(i);
          return with(in, answers);
        }
      }
    }
    if (i < answers.size() && answers.get(i) == a) {
      answers.set(i, head + "\r\n" + body);
    }
    return with(in, answers);
  }

  private static FuzzInput with(FuzzInput in, List<String> answers) {
    return in.with(ANSWERS, String.join(ProtocolServerFuzzTarget.NEXT, answers).getBytes(StandardCharsets.ISO_8859_1));
  }

  private static String pick(Random r, List<String> from) {
    return from.get(r.nextInt(from.size()));
  }

  private static final List<String> STATUSES = List.of(
      "200", "204", "206", "301", "303", "400", "401", "404", "412", "416", "423", "500", "501", "599", "100", "0");

  private static final List<String> HEADERS = List.of(
      "Content-Length", "Content-Range", "ETag", "Content-Type", "Location", "Carryon-Protocol", "Transfer-Encoding");

  private static final List<String> VALUES = List.of(
      "", "0", "-1", "1", "3", "4096", "9223372036854775807", "18446744073709551616", "x", "\"\"", "\"a b\"",
      "\"../../x\"", "bytes 0-0/1", "bytes 512-4607/999999", "bytes 0-4095/4096", "bytes */0", "chunked",
      "application/json", "text/html", "http://127.0.0.2:1/", "/etc/passwd", "\u00e9");

  private static final List<String> BODIES = List.of(
      "", "{}", "[]", "null", "{\"lock\":\"../../etc\"}", "{\"lock\":\"a b\"}", "{\"lock\":\"http://x/\"}",
      "{\"lock\":\"\\r\\nX: y\"}", "{\"protocol\":1,\"features\":[\"hash\",\"merge\",\"link\"]}",
      "{\"files\":[{\"name\":\"../../etc/passwd\",\"size\":-5}]}", "{\"files\":{}}", "{\"version\":\"a\\r\\nb\"}",
      "{\"size\":-1,\"sha256\":\"zz\"}", "{\"error\":\"locked\",\"message\":\"m\",\"holder\":null}",
      "{\"error\":\"not-found\",\"message\":\"m\"}", "{\"error\":\"no-manifest\"}");

  /**
   * A loopback HTTP server that answers each request with what {@code answers} gives for it (the
   * request's raw text in, the raw answer out) and closes the connection after each answer.
   */
  private static final class FakeServer implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread thread;

    /** What a request is answered with. */
    private interface Answers {
      byte[] answer(String request) throws IOException;
    }

    FakeServer(Answers answers) throws IOException {
      socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
      thread = new Thread(() -> {
        while (!socket.isClosed()) {
          try (Socket c = socket.accept()) {
            c.setSoTimeout(5000);
            String request = readRequest(c.getInputStream());
            OutputStream out = c.getOutputStream();
            out.write(closing(answers.answer(request)));
            out.flush();
            c.shutdownOutput();
            // Closed only once the client has read the answer and closed its side: an earlier
            // close would reset the connection and cut the answer short.
            c.setSoTimeout(200);
            c.getInputStream().transferTo(OutputStream.nullOutputStream());
          } catch (SocketTimeoutException e) {
            // A client that sends nothing more gets no answer.
          } catch (IOException e) {
            // Closed, or the client went away.
          }
        }
      }, "fuzz-fake-server");
      thread.setDaemon(true);
      thread.start();
    }

    /**
     * {@code answer} saying {@code Connection: close} after its status line, so that the client
     * opens a new connection for the next request rather than reuse this one, closed.
     */
    private static byte[] closing(byte[] answer) {
      String a = new String(answer, StandardCharsets.ISO_8859_1);
      int eol = a.indexOf("\r\n");
      return eol < 0 ? answer
          : (a.substring(0, eol + 2) + "Connection: close\r\n" + a.substring(eol + 2)).getBytes(StandardCharsets.ISO_8859_1);
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/");
    }

    /** A request's head and its body (as long as it declares). */
    private static String readRequest(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int state = 0;
      while (state < 4) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        head.write(b);
        state = (b == '\r' && state % 2 == 0) || (b == '\n' && state % 2 == 1) ? state + 1 : b == '\r' ? 1 : 0;
      }
      String text = head.toString(StandardCharsets.ISO_8859_1);
      java.util.regex.Matcher len = java.util.regex.Pattern.compile("(?im)^content-length: *([0-9]+)").matcher(text);
      byte[] body = len.find() ? in.readNBytes(Integer.parseInt(len.group(1))) : new byte[0];
      return text + new String(body, StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
      socket.close();
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
