package dev.carryon.carrier.server;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;

/** {@code GET api/v1/info}. */
@Path("api/v1/info")
public final class InfoResource {
  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public String info(@Context ContainerRequestContext request) throws IOException {
    return Carriers.of(request).info();
  }
}
