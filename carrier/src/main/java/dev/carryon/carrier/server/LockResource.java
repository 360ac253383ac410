package dev.carryon.carrier.server;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;

/** {@code api/v1/lock}: take, renew and release the carrier's write lock. */
@Path("api/v1/lock")
public final class LockResource {
  @POST
  @Produces(MediaType.APPLICATION_JSON)
  public String take(@Context ContainerRequestContext request, InputStream body)
      throws IOException {
    return Carriers.of(request).lock(body, Carriers.contentLength(request));
  }

  @PUT
  @Path("{id}")
  @Produces(MediaType.APPLICATION_JSON)
  public String renew(@Context ContainerRequestContext request, @PathParam("id") String id)
      throws IOException {
    return Carriers.of(request).renew(id);
  }

  @DELETE
  @Path("{id}")
  public Response release(@Context ContainerRequestContext request, @PathParam("id") String id)
      throws IOException {
    Carriers.of(request).release(id);
    return Response.noContent().build();
  }
}
