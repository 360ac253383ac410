package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.RequestGuard;
import dev.carryon.carrier.protocol.ServedCarrier;
import jakarta.ws.rs.container.ContainerRequestContext;

/** Where a request's carrier, resolved by {@link ProtocolFilter}, is kept for the resources. */
final class Carriers {
  /** The request property holding the {@link ServedCarrier}. */
  static final String PROPERTY = "dev.carryon.carrier";

  private Carriers() {}

  /** The request property holding the server's {@link RequestGuard}. */
  static final String GUARD = "dev.carryon.carrier.guard";

  /** The token check, for the page's exchange of a query token for a cookie. */
  static RequestGuard guard(ContainerRequestContext request) {
    return (RequestGuard) request.getProperty(GUARD);
  }

  static ServedCarrier of(ContainerRequestContext request) {
    return (ServedCarrier) request.getProperty(PROPERTY);
  }

  /** The body's declared length, or -1 when none is given (a chunked body). */
  static long contentLength(ContainerRequestContext request) {
    return request.getLength();
  }
}
