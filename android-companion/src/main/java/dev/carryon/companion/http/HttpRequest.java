package dev.carryon.companion.http;

import java.io.InputStream;

/**
 * One request as the server read it: the request line split into its parts (raw: nothing is
 * percent-decoded, that is the handler's business and its check), the header fields, and the body
 * framed by its {@code Content-Length} or chunked coding.
 */
public final class HttpRequest {
  /** The method, e.g. {@code GET}; case-sensitive, as HTTP says. */
  private final String method;

  /** The target's path, raw, starting with {@code /}. */
  private final String path;

  /** The target's query without the {@code ?}, raw; null when the target has none. */
  private final String query;

  /** The protocol version: {@code HTTP/1.1} or {@code HTTP/1.0}. */
  private final String version;

  /** The header fields. */
  private final Headers headers;

  /** The declared body length: 0 without a body, -1 when chunked. */
  private final long contentLength;

  /** The body. */
  private final RequestBody body;

  HttpRequest(
      String method,
      String path,
      String query,
      String version,
      Headers headers,
      long contentLength,
      RequestBody body) {
    this.method = method;
    this.path = path;
    this.query = query;
    this.version = version;
    this.headers = headers;
    this.contentLength = contentLength;
    this.body = body;
  }

  /** The method, e.g. {@code GET}. */
  public String method() {
    return method;
  }

  /** The target's path, raw (not percent-decoded), starting with {@code /}. */
  public String path() {
    return path;
  }

  /** The target's query, raw, without the {@code ?}; null when there is none. */
  public String query() {
    return query;
  }

  /** {@code HTTP/1.1} or {@code HTTP/1.0}. */
  public String version() {
    return version;
  }

  /** The header fields. */
  public Headers headers() {
    return headers;
  }

  /** The first value of header field {@code name}, or null. */
  public String header(String name) {
    return headers.first(name);
  }

  /** The body's declared length: 0 when there is none, -1 when it comes chunked. */
  public long contentLength() {
    return contentLength;
  }

  /**
   * The body: ends where the request's framing says. A body not read to its end when the response
   * starts makes the server close the connection after the response.
   */
  public InputStream body() {
    return body;
  }

  RequestBody framedBody() {
    return body;
  }

  /** True when the client asked to close the connection after this request, or speaks 1.0. */
  boolean wantsClose() {
    if (!version.equals(RequestReader.HTTP_11)) {
      return true;
    }
    for (String v : headers.all("Connection")) {
      for (String option : v.split(",")) {
        if (option.trim().equalsIgnoreCase("close")) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return method + " " + path + (query == null ? "" : "?" + query);
  }
}
