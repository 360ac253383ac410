package dev.carryon.companion.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;

/**
 * Reads one request's head from a connection (RFC 9112): the request line, the header fields
 * within {@link HttpLimits}, and the body's framing. Strict where laxness lets two parsers disagree
 * about where a request ends (request smuggling): CRLF only, no folded lines, no space before a
 * field's colon, one {@code Content-Length} value, never with {@code Transfer-Encoding}, and
 * {@code chunked} the only transfer coding.
 */
final class RequestReader {
  static final String HTTP_11 = "HTTP/1.1";
  static final String HTTP_10 = "HTTP/1.0";

  /** Characters of a method or field name: RFC 9110's {@code token}. */
  private static final String TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";

  private final HttpLimits limits;

  RequestReader(HttpLimits limits) {
    this.limits = limits;
  }

  /** The next request, or null when the client closed the connection between requests. */
  HttpRequest read(InputStream in) throws IOException {
    String line = LineReader.readLine(in, limits.requestLineBytes(), "request line");
    if (line == null) {
      return null;
    }
    String[] parts = line.split(" ", -1);
    if (parts.length != 3) {
      throw new BadRequestException("malformed request line '" + LineReader.shorten(line) + "'");
    }
    String method = parts[0];
    String target = parts[1];
    String version = parts[2];
    if (!isToken(method)) {
      throw new BadRequestException("malformed method '" + LineReader.shorten(method) + "'");
    }
    if (!version.equals(HTTP_11) && !version.equals(HTTP_10)) {
      throw new BadRequestException(
          "unsupported protocol version '" + LineReader.shorten(version) + "' (HTTP/1.1 only)");
    }
    String pathAndQuery = originForm(target);
    int q = pathAndQuery.indexOf('?');
    String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    String query = q < 0 ? null : pathAndQuery.substring(q + 1);

    Headers headers = readHeaders(in);
    if (version.equals(HTTP_11) && headers.all("Host").size() != 1) {
      throw new BadRequestException("an HTTP/1.1 request needs exactly one Host field");
    }
    long length = bodyLength(headers, version);
    RequestBody body;
    if (length < 0) {
      body = new ChunkedBody(in, limits.headerBytes());
    } else if (length == 0) {
      body = RequestBody.empty();
    } else {
      body = new FixedLengthBody(in, length);
    }
    return new HttpRequest(method, path, query, version, headers, length, body);
  }

  /**
   * The path and query of {@code target}: origin-form ({@code /path?query}) as is; absolute-form
   * ({@code http://host/path}, which servers must accept) without scheme and authority.
   */
  private static String originForm(String target) throws BadRequestException {
    String rest = target;
    String lower = target.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://") || lower.startsWith("https://")) {
      int slash = target.indexOf('/', lower.indexOf("//") + 2);
      rest = slash < 0 ? "/" : target.substring(slash);
    }
    if (!rest.startsWith("/")) {
      throw new BadRequestException("malformed request target '" + LineReader.shorten(target) + "'");
    }
    for (int i = 0; i < rest.length(); i++) {
      char c = rest.charAt(i);
      if (c <= ' ' || c >= 0x7f || c == '#') {
        throw new BadRequestException(
            "request target '" + LineReader.shorten(target) + "' holds a character URLs may not");
      }
    }
    return rest;
  }

  private Headers readHeaders(InputStream in) throws IOException {
    Headers headers = new Headers();
    int used = 0;
    while (true) {
      String line = LineReader.readLine(in, limits.headerBytes() - used, "header section");
      if (line == null) {
        throw new EOFException("the connection ended inside the header section");
      }
      if (line.isEmpty()) {
        return headers;
      }
      used += line.length() + 2;
      if (headers.size() == limits.headerFields()) {
        throw new BadRequestException(
            "more than " + limits.headerFields() + " header fields in one request");
      }
      char first = line.charAt(0);
      if (first == ' ' || first == '\t') {
        throw new BadRequestException("a folded header line (obsolete line folding is refused)");
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || !isToken(line.substring(0, colon))) {
        throw new BadRequestException("malformed header field '" + LineReader.shorten(line) + "'");
      }
      String value = trimOws(line.substring(colon + 1));
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == 0 || (c < ' ' && c != '\t') || c == 0x7f) {
          throw new BadRequestException(
              "header field " + line.substring(0, colon) + " holds a control character");
        }
      }
      headers.add(line.substring(0, colon), value);
    }
  }

  /**
   * The body's length from the framing fields: -1 for chunked, else {@code Content-Length} or 0.
   */
  private static long bodyLength(Headers headers, String version) throws BadRequestException {
    List<String> codings = headers.all("Transfer-Encoding");
    List<String> lengths = headers.all("Content-Length");
    if (!codings.isEmpty()) {
      if (!lengths.isEmpty()) {
        throw new BadRequestException("a request with both Transfer-Encoding and Content-Length");
      }
      if (!version.equals(HTTP_11)) {
        throw new BadRequestException("Transfer-Encoding in an HTTP/1.0 request");
      }
      if (codings.size() != 1 || !codings.get(0).equalsIgnoreCase("chunked")) {
        throw new BadRequestException(
            "Transfer-Encoding '" + String.join(", ", codings) + "' (only chunked is accepted)");
      }
      return -1;
    }
    long length = -1;
    for (String field : lengths) {
      for (String v : field.split(",", -1)) {
        long n = parseLength(v.trim());
        if (length >= 0 && n != length) {
          throw new BadRequestException("Content-Length values that disagree: " + lengths);
        }
        length = n;
      }
    }
    return Math.max(length, 0);
  }

  private static long parseLength(String v) throws BadRequestException {
    if (v.isEmpty() || v.length() > 18) {
      throw new BadRequestException("bad Content-Length '" + LineReader.shorten(v) + "'");
    }
    long n = 0;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        throw new BadRequestException("bad Content-Length '" + LineReader.shorten(v) + "'");
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  private static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || TCHAR_SYMBOLS.indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** {@code s} without the spaces and tabs HTTP allows around a field value. */
  private static String trimOws(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
      from++;
    }
    while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
      to--;
    }
    return s.substring(from, to);
  }
}
