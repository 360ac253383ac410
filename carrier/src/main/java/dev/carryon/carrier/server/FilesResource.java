package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.ByteRange;
import dev.carryon.carrier.protocol.Protocol;
import dev.carryon.carrier.protocol.ServedCarrier;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;

/** {@code api/v1/files}: the listing, and each file's size, bytes and writes. */
@Path("api/v1/files")
public final class FilesResource {
  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public String list(
      @Context ContainerRequestContext request,
      @QueryParam("dir") String dir,
      @QueryParam("dirs") String dirs)
      throws IOException {
    return Carriers.of(request).list(dir, dirs);
  }

  @HEAD
  @Path("{name: .+}")
  public Response size(@Context ContainerRequestContext request, @PathParam("name") String name)
      throws IOException {
    return Response.ok()
        .header(HttpHeaders.CONTENT_LENGTH, Carriers.of(request).size(name))
        .header("Accept-Ranges", "bytes")
        .build();
  }

  @GET
  @Path("{name: .+}")
  public Response read(
      @Context ContainerRequestContext request,
      @PathParam("name") String name,
      @HeaderParam("Range") String range)
      throws IOException {
    ServedCarrier carrier = Carriers.of(request);
    ByteRange r = carrier.range(name, range);
    StreamingOutput body = out -> carrier.send(name, r, out);
    Response.ResponseBuilder answer =
        Response.status(r.partial() ? 206 : 200)
            .type(MediaType.APPLICATION_OCTET_STREAM_TYPE)
            .header(HttpHeaders.CONTENT_LENGTH, r.length())
            .header("Accept-Ranges", "bytes")
            .entity(body);
    if (r.partial()) {
      answer.header("Content-Range", r.contentRange());
    }
    return answer.build();
  }

  @PUT
  @Path("{name: .+}")
  public Response write(
      @Context ContainerRequestContext request,
      @PathParam("name") String name,
      @HeaderParam(Protocol.LOCK_HEADER) String lock,
      @QueryParam("offset") String offset,
      @QueryParam("length") String length,
      @QueryParam("ordered") String ordered,
      InputStream body)
      throws IOException {
    Carriers.of(request)
        .write(lock, name, offset, length, ordered, Carriers.contentLength(request), body);
    return Response.noContent().build();
  }
}
