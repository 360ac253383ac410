package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.Protocol;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;

/** {@code POST api/v1/ops}: one operation. */
@Path("api/v1/ops")
public final class OpsResource {
  @POST
  public Response run(
      @Context ContainerRequestContext request,
      @HeaderParam(Protocol.LOCK_HEADER) String lock,
      InputStream body)
      throws IOException {
    String answer = Carriers.of(request).op(lock, body, Carriers.contentLength(request));
    return answer == null
        ? Response.noContent().build()
        : Response.ok(answer, MediaType.APPLICATION_JSON_TYPE).build();
  }
}
