package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.Protocol;
import dev.carryon.carrier.storage.VersionedManifest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;

/** {@code GET} and {@code PUT api/v1/manifest}: the carrier's commit point. */
@Path("api/v1/manifest")
public final class ManifestResource {
  @GET
  public Response read(@Context ContainerRequestContext request) throws IOException {
    VersionedManifest m = Carriers.of(request).manifest();
    return Response.ok(m.bytes(), MediaType.APPLICATION_JSON_TYPE)
        .header(HttpHeaders.ETAG, "\"" + m.version() + "\"")
        .build();
  }

  @PUT
  @Produces(MediaType.APPLICATION_JSON)
  public String replace(
      @Context ContainerRequestContext request,
      @HeaderParam(Protocol.LOCK_HEADER) String lock,
      @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
      @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch,
      InputStream body)
      throws IOException {
    return Carriers.of(request)
        .replaceManifest(lock, ifMatch, ifNoneMatch, body, Carriers.contentLength(request));
  }
}
