package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.Protocol;
import dev.carryon.carrier.protocol.RequestGuard;
import dev.carryon.carrier.protocol.ServedCarrier;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URI;

/**
 * {@code GET /} (or {@code /NAME/}): the carrier's page for people. A token given as {@code
 * ?token=} is exchanged for a cookie and the browser sent back to the address without it, so the
 * token does not stay in the address bar or the history.
 */
@Path("")
public final class PageResource {
  @GET
  public Response page(
      @Context ContainerRequestContext request, @QueryParam(Protocol.TOKEN_QUERY) String token)
      throws IOException {
    ServedCarrier carrier = Carriers.of(request);
    if (token != null) {
      Response.ResponseBuilder back = Response.seeOther(URI.create(carrier.prefix()));
      if (!Carriers.guard(request).isToken(token)) {
        // Let in by a right cookie or header: the wrong query token is dropped, not kept.
        return back.build();
      }
      return back
          .header(
              HttpHeaders.SET_COOKIE,
              Protocol.TOKEN_COOKIE + "=" + token + "; Path=" + carrier.prefix()
                  + "; HttpOnly; SameSite=Strict")
          .build();
    }
    return Response.ok(carrier.page(), MediaType.TEXT_HTML_TYPE.withCharset("utf-8"))
        .header("Cache-Control", "no-store")
        .header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        .build();
  }
}
