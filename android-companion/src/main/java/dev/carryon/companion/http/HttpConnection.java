package dev.carryon.companion.http;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client connection: reads requests one after another (keep-alive), has the handler answer
 * each, and closes when the client asks, when a request cannot be read, when a response could not
 * be framed, when the connection stays idle past {@link HttpLimits#idleMillis()}, or when the
 * server stops.
 */
final class HttpConnection {
  private static final Logger LOG = Logger.getLogger(HttpConnection.class.getName());

  /** How long, at most, a closing connection keeps reading what the client still sends. */
  private static final int LINGER_MILLIS = 1000;

  /** How much a closing connection reads of what the client still sends. */
  private static final int LINGER_BYTES = 256 * 1024;

  private final Socket socket;
  private final Handler handler;
  private final HttpLimits limits;
  private final RequestReader reader;

  /** False once the server is stopping: no further request is read. */
  private final BooleanSupplier serving;

  HttpConnection(Socket socket, Handler handler, HttpLimits limits, BooleanSupplier serving) {
    this.socket = socket;
    this.handler = handler;
    this.limits = limits;
    this.reader = new RequestReader(limits);
    this.serving = serving;
  }

  void run() {
    try {
      socket.setSoTimeout(limits.idleMillis());
      socket.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
      while (serving.getAsBoolean() && serveOne(in, out)) {
        // Keep-alive: the next request on the same connection.
      }
    } catch (SocketTimeoutException e) {
      // Idle past the limit, between requests or inside one: the connection just closes.
    } catch (IOException e) {
      // The client went away or the server closed the socket: nothing to answer.
    }
    closeGently();
  }

  /**
   * Ends the connection so that the client reads the last answer: closing a socket with unread
   * input makes the kernel send a reset, which can destroy the answer before the client reads it.
   * So: end the output, read (and drop) what the client still sends, for a little while, then the
   * caller closes.
   */
  private void closeGently() {
    try {
      socket.shutdownOutput();
      socket.setSoTimeout(LINGER_MILLIS);
      InputStream in = socket.getInputStream();
      byte[] drop = new byte[8192];
      long deadline = System.nanoTime() + LINGER_MILLIS * 1_000_000L;
      int total = 0;
      for (int n;
          total < LINGER_BYTES && System.nanoTime() < deadline && (n = in.read(drop)) >= 0; ) {
        total += n;
      }
    } catch (IOException e) {
      // Closed already, or the client keeps sending: the socket closes now.
    }
  }

  /** Serves one request; true when the connection may carry another. */
  private boolean serveOne(InputStream in, OutputStream out) throws IOException {
    HttpRequest request;
    try {
      request = reader.read(in);
    } catch (BadRequestException e) {
      refuse(null, HttpResponse.toUnreadable(out), e.status(), e.getMessage());
      return false;
    }
    if (request == null) {
      return false;
    }
    HttpResponse response = new HttpResponse(out, request);
    String expect = request.header("Expect");
    if (expect != null) {
      if (!expect.equalsIgnoreCase("100-continue")) {
        refuse(request, response, 417, "unsupported expectation '" + expect + "'");
        return false;
      }
      if (request.version().equals(RequestReader.HTTP_11)) {
        request.framedBody().beforeFirstRead(response::sendContinue);
      }
    }
    try {
      handler.handle(request, response);
    } catch (BadRequestException e) {
      // The body's framing broke while the handler read it: answer if still possible, then close.
      if (!response.started()) {
        refuse(request, response, e.status(), e.getMessage());
      }
      return false;
    } catch (IOException | RuntimeException e) {
      if (response.started() || !socket.isConnected() || socket.isClosed()) {
        throw e instanceof IOException ? (IOException) e : new IOException(e);
      }
      LOG.log(Level.WARNING, "answering " + request + " failed", e);
      refuse(request, response, 500, request + ": " + e);
      return false;
    }
    if (!response.started()) {
      refuse(request, response, 500, "the server sent no answer to " + request);
      return false;
    }
    return response.finish();
  }

  private void refuse(HttpRequest request, HttpResponse response, int status, String message)
      throws IOException {
    response.reset();
    handler.error(request, response, status, message);
    response.finish();
  }
}
