package dev.carryon.carrier.server;

import dev.carryon.carrier.protocol.ErrorCode;
import dev.carryon.carrier.protocol.ProtocolException;
import dev.carryon.carrier.protocol.WireJson;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.io.IOException;

/**
 * Every failure of a request as the protocol's error answer: the status and {@code {"error":
 * CODE, "message": TEXT, ...}}. A {@link ProtocolException} keeps its code; Jersey's own refusals
 * (no such path, wrong method) and anything unexpected get the nearest code.
 */
final class ProtocolExceptionMapper implements ExceptionMapper<Throwable> {
  @Override
  public Response toResponse(Throwable e) {
    return answer(protocolError(e));
  }

  static Response answer(ProtocolException p) {
    return Response.status(p.code().status())
        .type(MediaType.APPLICATION_JSON_TYPE)
        .entity(WireJson.error(p))
        .build();
  }

  private static ProtocolException protocolError(Throwable e) {
    if (e instanceof ProtocolException) {
      return (ProtocolException) e;
    }
    if (e instanceof NotFoundException) {
      return new ProtocolException(ErrorCode.NOT_FOUND, "no such request path in protocol version 1");
    }
    if (e instanceof NotAllowedException) {
      return new ProtocolException(
          ErrorCode.METHOD_NOT_ALLOWED, "this path does not take that method");
    }
    if (e instanceof WebApplicationException) {
      int status = ((WebApplicationException) e).getResponse().getStatus();
      return new ProtocolException(
          status == 415 || status == 406 ? ErrorCode.BAD_REQUEST : ErrorCode.IO_ERROR,
          "request refused (" + status + ": " + e.getMessage() + ")");
    }
    if (e instanceof IOException) {
      return new ProtocolException(ErrorCode.IO_ERROR, String.valueOf(e.getMessage()), e);
    }
    return new ProtocolException(ErrorCode.IO_ERROR, "internal error: " + e, e);
  }
}
