package dev.carryon.carrier.protocol;

import java.io.InputStream;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP request as a server without a web framework parsed it, for {@link ProtocolHandler}.
 *
 * @param method the method, upper case
 * @param rawPath the path exactly as the request line has it (not decoded)
 * @param rawQuery the query after {@code ?} as the request line has it, or null
 * @param headers the headers by lower-case name (one value each)
 * @param contentLength the body's declared length, -1 when not declared (chunked)
 * @param body the body, already de-chunked, ending where the request's body ends
 */
public record WireRequest(
    String method,
    String rawPath,
    String rawQuery,
    Map<String, String> headers,
    long contentLength,
    InputStream body) {

  /** Header {@code name} (any case), or null. */
  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }
}
