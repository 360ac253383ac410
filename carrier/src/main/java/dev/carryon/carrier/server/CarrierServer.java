package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.CarrierRoot;
import dev.carryon.carrier.protocol.ErrorCode;
import dev.carryon.carrier.protocol.ProtocolException;
import dev.carryon.carrier.protocol.WireJson;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.servlet.ServletContainer;

/**
 * The carrier server: Jetty 12 with the protocol's Jersey resources, serving a {@link
 * CarrierRoot}. Its connector and limits are all here: one address (loopback unless asked), a
 * small thread pool, request headers up to {@value #HEADER_BYTES} bytes, idle connections closed
 * after {@value #IDLE_MILLIS} ms, TLS when a key store is given. Body limits are the protocol's
 * ({@link dev.carryon.carrier.protocol.Protocol#MAX_WRITE} and the like), enforced by the core.
 * Requests reach Jersey with their paths as they came (Jetty's refusal of ambiguous paths is
 * relaxed) so that the core refuses them with the protocol's own errors.
 */
public final class CarrierServer implements Closeable {
  /** Largest request line and headers. */
  static final int HEADER_BYTES = 8 << 10;

  /** Idle connections are closed after this long. */
  static final int IDLE_MILLIS = 30_000;

  /** Threads serving requests: a carrier has a few clients, not thousands. */
  static final int MAX_THREADS = 16;

  /**
   * Jersey logs through java.util.logging, to stderr, warnings about optional providers it does
   * not find (JAXB, activation) that this server never uses; only its severe errors are shown.
   * Held here so the setting is not collected with the logger.
   */
  private static final Logger JERSEY_LOG = Logger.getLogger("org.glassfish.jersey");

  static {
    JERSEY_LOG.setLevel(Level.SEVERE);
  }

  /** The running Jetty. */
  private final Server jetty;

  /** Its one connector. */
  private final ServerConnector connector;

  /** What it serves. */
  private final CarrierRoot root;

  /** True with TLS. */
  private final boolean tls;

  private CarrierServer(Server jetty, ServerConnector connector, CarrierRoot root, boolean tls) {
    this.jetty = jetty;
    this.connector = connector;
    this.root = root;
    this.tls = tls;
  }

  /**
   * A key store for TLS.
   *
   * @param keyStore a PKCS12 file holding the server's key and certificate
   * @param password its password
   */
  public record Tls(Path keyStore, String password) {}

  /**
   * Starts serving {@code root} on {@code host}:{@code port} (0: any free port), with TLS when
   * {@code tls} is not null. Closing the server closes {@code root}.
   */
  public static CarrierServer start(CarrierRoot root, String host, int port, Tls tls)
      throws IOException {
    QueuedThreadPool pool = new QueuedThreadPool(MAX_THREADS, 2);
    pool.setName("carryon-serve");
    pool.setDaemon(true);
    Server jetty = new Server(pool);
    jetty.setErrorHandler(new JsonErrors());

    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(HEADER_BYTES);
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    // Paths like /api/v1/files/a%2Fb or /x/../y reach the core, which refuses them as bad-name.
    http.setUriCompliance(UriCompliance.UNSAFE);
    ServerConnector connector;
    if (tls == null) {
      connector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
    } else {
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStorePath(tls.keyStore().toString());
      ssl.setKeyStorePassword(tls.password());
      ssl.setKeyStoreType("PKCS12");
      http.addCustomizer(new SecureRequestCustomizer(false));
      connector =
          new ServerConnector(
              jetty, 1, 1, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
    }
    connector.setHost(host);
    connector.setPort(port);
    connector.setIdleTimeout(IDLE_MILLIS);
    jetty.addConnector(connector);

    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.getServletHandler().setDecodeAmbiguousURIs(true);
    context.setErrorHandler(new JsonErrors());
    context.addServlet(new ServletHolder(new ServletContainer(resources(root))), "/*");
    jetty.setHandler(context);
    try {
      jetty.start();
    } catch (IOException e) {
      stopQuietly(jetty);
      throw e;
    } catch (Exception e) {
      stopQuietly(jetty);
      throw new IOException("cannot start the carrier server on " + host + ":" + port + ": " + e, e);
    }
    return new CarrierServer(jetty, connector, root, tls != null);
  }

  private static ResourceConfig resources(CarrierRoot root) {
    ResourceConfig config = new ResourceConfig();
    config.register(new ProtocolFilter(root));
    config.register(new ProtocolExceptionMapper());
    config.registerClasses(
        InfoResource.class,
        ManifestResource.class,
        FilesResource.class,
        OpsResource.class,
        LockResource.class,
        PageResource.class);
    // No WADL, no auto-discovered features: the resources above are the whole server.
    config.property("jersey.config.server.wadl.disableWadl", true);
    config.property("jersey.config.server.disableAutoDiscovery", true);
    return config;
  }

  /** The port it listens on (the real one when 0 was asked). */
  public int port() {
    return connector.getLocalPort();
  }

  /** Its address, {@code http://HOST:PORT/} (or {@code https}). */
  public URI uri() {
    String host = connector.getHost();
    if (host.indexOf(':') >= 0) {
      host = "[" + host + "]";
    }
    return URI.create((tls ? "https" : "http") + "://" + host + ":" + port() + "/");
  }

  /** Waits until the server stops. */
  public void join() throws InterruptedException {
    jetty.join();
  }

  /** Stops serving (requests running get a moment to finish) and releases every lock. */
  @Override
  public void close() throws IOException {
    try {
      jetty.stop();
    } catch (Exception e) {
      throw new IOException("cannot stop the carrier server: " + e, e);
    } finally {
      root.close();
    }
  }

  private static void stopQuietly(Server jetty) {
    try {
      jetty.stop();
    } catch (Exception ignored) {
      // The start failure is the error to report.
    }
  }

  /** Jetty's own refusals (a bad request line, headers too large) as the protocol's errors. */
  private static final class JsonErrors extends ErrorHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      int status = response.getStatus();
      Object message = request.getAttribute(ERROR_MESSAGE);
      ErrorCode code = status == 413 ? ErrorCode.TOO_LARGE
          : status == 404 ? ErrorCode.NOT_FOUND
          : status >= 500 ? ErrorCode.IO_ERROR
          : ErrorCode.BAD_REQUEST;
      String body =
          WireJson.error(
              new ProtocolException(
                  code, "request refused by the server (" + status
                      + (message == null ? "" : ": " + message) + ")"));
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
      return true;
    }
  }
}
