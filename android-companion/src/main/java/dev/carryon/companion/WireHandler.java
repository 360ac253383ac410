package dev.carryon.companion;

import dev.carryon.carrier.protocol.ErrorCode;
import dev.carryon.carrier.protocol.ProtocolException;
import dev.carryon.carrier.protocol.ProtocolHandler;
import dev.carryon.carrier.protocol.WireReply;
import dev.carryon.carrier.protocol.WireRequest;
import dev.carryon.companion.http.Handler;
import dev.carryon.companion.http.HttpRequest;
import dev.carryon.companion.http.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The carrier protocol on the companion's HTTP server: every request goes to the protocol core's
 * {@link ProtocolHandler}, which routes it and gives it its meaning exactly as for {@code carryon
 * serve}; this class only carries the request's parts there and the answer back. Requests the
 * server could not read get the protocol's error answer too.
 */
final class WireHandler implements Handler {
  /** The protocol core. */
  private final ProtocolHandler protocol;

  WireHandler(ProtocolHandler protocol) {
    this.protocol = protocol;
  }

  @Override
  public void handle(HttpRequest request, HttpResponse response) throws IOException {
    Map<String, String> headers = new HashMap<>();
    for (String name : request.headers().names()) {
      // One value a name: the first, as a request sends the fields the protocol reads once.
      headers.put(name.toLowerCase(Locale.ROOT), request.header(name));
    }
    send(
        protocol.handle(
            new WireRequest(
                request.method(),
                request.path(),
                request.query(),
                headers,
                request.contentLength(),
                request.body())),
        response);
  }

  @Override
  public void error(HttpRequest request, HttpResponse response, int status, String message)
      throws IOException {
    ErrorCode code = status >= 500 ? ErrorCode.IO_ERROR : ErrorCode.BAD_REQUEST;
    WireReply reply = ProtocolHandler.error(new ProtocolException(code, message));
    reply.headers().forEach(response::header);
    response.send(status, null, bodyOf(reply));
  }

  private static void send(WireReply reply, HttpResponse response) throws IOException {
    reply.headers().forEach(response::header);
    try (OutputStream out = response.start(reply.status(), reply.length())) {
      if (reply.sendsBody()) {
        reply.writeBody(out);
      }
    }
  }

  private static byte[] bodyOf(WireReply reply) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    reply.writeBody(b);
    return b.toByteArray();
  }
}
