package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.CarrierRoot;
import dev.carryon.carrier.protocol.Protocol;
import dev.carryon.carrier.protocol.RequestGuard;
import jakarta.annotation.Priority;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Cookie;
import java.io.IOException;
import java.net.URI;

/**
 * What every request passes before a resource sees it: the raw path's grammar, the carrier its
 * prefix addresses (the base URI moves to that prefix, so resources match the same paths under
 * {@code /} and {@code /NAME/}), the token, the protocol version. Every answer says the version.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION)
final class ProtocolFilter implements ContainerRequestFilter, ContainerResponseFilter {
  /** The carriers served. */
  private final CarrierRoot root;

  /** The servlet request, for the path exactly as it came (Jersey's is decoded and normalized). */
  @Context private HttpServletRequest servletRequest;

  ProtocolFilter(CarrierRoot root) {
    this.root = root;
  }

  @Override
  public void filter(ContainerRequestContext request) throws IOException {
    CarrierRoot.Target target = root.resolve(servletRequest.getRequestURI());
    request.setProperty(Carriers.PROPERTY, target.carrier());
    URI base = request.getUriInfo().getBaseUri();
    if (!target.carrier().prefix().equals("/")) {
      request.setRequestUri(
          base.resolve(target.carrier().prefix().substring(1)), request.getUriInfo().getRequestUri());
    }
    RequestGuard guard = root.guard();
    request.setProperty(Carriers.GUARD, guard);
    String authorization = request.getHeaderString(Protocol.AUTHORIZATION);
    if (target.path().isEmpty()) {
      Cookie cookie = request.getCookies().get(Protocol.TOKEN_COOKIE);
      guard.checkPageToken(
          authorization,
          request.getUriInfo().getQueryParameters().getFirst(Protocol.TOKEN_QUERY),
          cookie == null ? null : cookie.getValue());
    } else {
      guard.checkToken(authorization);
    }
    RequestGuard.checkVersion(request.getHeaderString(Protocol.PROTOCOL_HEADER));
  }

  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response) {
    response.getHeaders().putSingle(Protocol.PROTOCOL_HEADER, Integer.toString(Protocol.VERSION));
  }
}
