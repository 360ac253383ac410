package dev.carryon.carrier.protocol;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The {@link ProtocolHandler} behind the JDK's own small HTTP server: what any server without a
 * web framework (the phone's) does with it, a few lines of request parsing and answer writing. The
 * tests run the storage contract and every refusal through it, so the handler is known complete
 * before a phone serves it.
 */
public final class JdkWireServer implements Closeable {
  /** The JDK server. */
  private final HttpServer server;

  /** Its request threads. */
  private final ExecutorService threads;

  /** What it serves. */
  private final CarrierRoot root;

  /** The token. */
  private final String token;

  private JdkWireServer(HttpServer server, ExecutorService threads, CarrierRoot root, String token) {
    this.server = server;
    this.threads = threads;
    this.root = root;
    this.token = token;
  }

  /** Serves {@code folder} (one carrier at {@code /}, or with {@code many}, one per {@code /NAME/}). */
  public static JdkWireServer start(Path folder, boolean many) throws IOException {
    String token = Tokens.newToken();
    CarrierRoot root =
        many
            ? CarrierRoot.many(folder, token, "jdk-test", Clock.systemUTC())
            : CarrierRoot.single(folder, token, "jdk-test", Clock.systemUTC());
    ProtocolHandler handler = new ProtocolHandler(root);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    ExecutorService threads = Executors.newFixedThreadPool(4);
    server.setExecutor(threads);
    server.createContext("/", exchange -> serve(handler, exchange));
    server.start();
    return new JdkWireServer(server, threads, root, token);
  }

  private static void serve(ProtocolHandler handler, HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> headers = new HashMap<>();
      for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
        headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue().get(0));
      }
      String length = headers.get("content-length");
      URI uri = exchange.getRequestURI();
      WireReply reply =
          handler.handle(
              new WireRequest(
                  exchange.getRequestMethod(),
                  uri.getRawPath(),
                  uri.getRawQuery(),
                  headers,
                  length == null ? -1 : Long.parseLong(length),
                  exchange.getRequestBody()));
      for (Map.Entry<String, String> h : reply.headers().entrySet()) {
        exchange.getResponseHeaders().set(h.getKey(), h.getValue());
      }
      if (!reply.sendsBody()) {
        exchange.getResponseHeaders().set("Content-Length", Long.toString(reply.length()));
        exchange.sendResponseHeaders(reply.status(), -1);
        return;
      }
      // The JDK server reads 0 as "chunked" and -1 as "no body".
      exchange.sendResponseHeaders(reply.status(), reply.length() == 0 ? -1 : reply.length());
      try (OutputStream out = exchange.getResponseBody()) {
        reply.writeBody(out);
      }
    }
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  public String token() {
    return token;
  }

  @Override
  public void close() throws IOException {
    server.stop(0);
    threads.shutdownNow();
    root.close();
  }
}
