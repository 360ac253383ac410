package dev.carryon.companion.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The answer to one request: header fields set first, then {@link #start} writes the status line
 * and the head and hands out the body's stream, framed by {@code Content-Length} or, when the
 * length is unknown, chunked. A response to {@code HEAD} sends the head only.
 */
public final class HttpResponse {
  /** The connection's stream. */
  private final OutputStream out;

  /** Whether the client speaks HTTP/1.1 (else 1.0: no chunked coding, no keep-alive). */
  private final boolean http11;

  /** Whether the request was HEAD: the head is sent, the body is not. */
  private final boolean head;

  /** The request's body, to tell whether the connection is positioned at the next request. */
  private final RequestBody requestBody;

  /** The request answered, for messages; null for the answer to an unreadable request. */
  private final HttpRequest request;

  /** Header fields set so far, name and value. */
  private final List<String[]> fields = new ArrayList<>();

  /** The body's stream once {@link #start} ran. */
  private OutputStream body;

  /** Set when the connection must close after this response. */
  private boolean close;

  HttpResponse(OutputStream out, HttpRequest request) {
    this.out = out;
    this.request = request;
    this.http11 = request.version().equals(RequestReader.HTTP_11);
    this.head = request.method().equals("HEAD");
    this.requestBody = request.framedBody();
    this.close = request.wantsClose();
  }

  /** The answer to a request that could not be read: the connection closes after it. */
  private HttpResponse(OutputStream out) {
    this.out = out;
    this.request = null;
    this.http11 = true;
    this.head = false;
    this.requestBody = null;
    this.close = true;
  }

  static HttpResponse toUnreadable(OutputStream out) {
    return new HttpResponse(out);
  }

  /** Adds header field {@code name: value} to the head; only before {@link #start}. */
  public HttpResponse header(String name, String value) {
    if (body != null) {
      throw new IllegalStateException("header " + name + " set after the response started");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        throw new IllegalArgumentException("header " + name + " value holds CR, LF or NUL");
      }
    }
    fields.add(new String[] {name, value});
    return this;
  }

  /** Drops the header fields set so far, to answer with an error instead; only before {@link #start}. */
  public void reset() {
    if (body != null) {
      throw new IllegalStateException("response reset after it started");
    }
    fields.clear();
  }

  /** True once the status line was written: the status can no longer change. */
  public boolean started() {
    return body != null;
  }

  /**
   * Writes the status line and head and returns the body's stream: exactly {@code contentLength}
   * bytes, or chunked when it is -1 (for an HTTP/1.0 client: until the connection closes).
   * Closing the stream ends the body; it does not close the connection.
   */
  public OutputStream start(int status, long contentLength) throws IOException {
    if (body != null) {
      throw new IllegalStateException("response started twice");
    }
    if (status < 200 || status > 599) {
      throw new IllegalArgumentException("status (" + status + ") must be a final status");
    }
    if (requestBody != null && !requestBody.finished()) {
      // The rest of the request body is still on the connection: the next request cannot be
      // found without reading it, and a client that sent Expect: 100-continue never will.
      close = true;
    }
    if (contentLength < 0 && !http11) {
      close = true;
    }
    StringBuilder lines = new StringBuilder(256);
    lines.append(RequestReader.HTTP_11)
        .append(' ')
        .append(status)
        .append(' ')
        .append(reason(status))
        .append("\r\n");
    lines.append("Date: ")
        .append(DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)))
        .append("\r\n");
    for (String[] f : fields) {
      lines.append(f[0]).append(": ").append(f[1]).append("\r\n");
    }
    boolean bodyAllowed = status != 204 && status != 304;
    if (contentLength >= 0) {
      if (bodyAllowed) {
        lines.append("Content-Length: ").append(contentLength).append("\r\n");
      }
    } else if (http11) {
      lines.append("Transfer-Encoding: chunked\r\n");
    }
    if (close) {
      lines.append("Connection: close\r\n");
    }
    lines.append("\r\n");
    out.write(lines.toString().getBytes(StandardCharsets.ISO_8859_1));
    boolean sendsBody = bodyAllowed && !head;
    if (!sendsBody) {
      body = new FixedLengthOutput(out, 0, true);
    } else if (contentLength >= 0) {
      body = new FixedLengthOutput(out, contentLength, false);
    } else if (http11) {
      body = new ChunkedOutput(out);
    } else {
      body = new FixedLengthOutput(out, Long.MAX_VALUE, false);
    }
    return body;
  }

  /** Sends a whole response: {@code bytes} as a body of type {@code contentType}. */
  public void send(int status, String contentType, byte[] bytes) throws IOException {
    if (contentType != null) {
      header("Content-Type", contentType);
    }
    try (OutputStream o = start(status, bytes.length)) {
      o.write(bytes);
    }
  }

  /** Answers {@code Expect: 100-continue} before the body is read, unless already answered. */
  void sendContinue() throws IOException {
    if (body == null) {
      out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }
  }

  /**
   * Ends the response: closes the body (a body shorter than its declared length cannot be
   * repaired, so the connection closes) and flushes. True when the connection may carry another
   * request.
   */
  boolean finish() throws IOException {
    if (body == null) {
      throw new IllegalStateException("no response was sent to " + describeRequest());
    }
    body.close();
    if (body instanceof FixedLengthOutput && !((FixedLengthOutput) body).complete()) {
      close = true;
    }
    out.flush();
    return !close;
  }

  /** The request answered, for messages. */
  String describeRequest() {
    return request == null ? "an unreadable request" : request.toString();
  }

  static String reason(int status) {
    switch (status) {
      case 200:
        return "OK";
      case 204:
        return "No Content";
      case 206:
        return "Partial Content";
      case 302:
        return "Found";
      case 303:
        return "See Other";
      case 304:
        return "Not Modified";
      case 400:
        return "Bad Request";
      case 401:
        return "Unauthorized";
      case 404:
        return "Not Found";
      case 405:
        return "Method Not Allowed";
      case 409:
        return "Conflict";
      case 412:
        return "Precondition Failed";
      case 413:
        return "Content Too Large";
      case 416:
        return "Range Not Satisfiable";
      case 417:
        return "Expectation Failed";
      case 423:
        return "Locked";
      case 500:
        return "Internal Server Error";
      case 501:
        return "Not Implemented";
      case 503:
        return "Service Unavailable";
      case 507:
        return "Insufficient Storage";
      default:
        return "Status " + status;
    }
  }

  /** A body of a declared length: refuses more, and tells whether it got all. */
  private static final class FixedLengthOutput extends OutputStream {
    private final OutputStream out;
    private final long length;

    /** For HEAD, 204 and 304: the declared length is the GET's, and nothing is sent. */
    private final boolean discard;

    private long written;

    FixedLengthOutput(OutputStream out, long length, boolean discard) {
      this.out = out;
      this.length = length;
      this.discard = discard;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (discard) {
        return;
      }
      if (len > length - written) {
        throw new IOException(
            "response body longer than its Content-Length (" + length + " bytes)");
      }
      out.write(b, off, len);
      written += len;
    }

    boolean complete() {
      return discard || length == Long.MAX_VALUE || written == length;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() {}
  }

  /** A body in the chunked coding: one chunk per write, the last chunk on close. */
  private static final class ChunkedOutput extends OutputStream {
    private final OutputStream out;
    private boolean closed;

    ChunkedOutput(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (closed) {
        throw new IOException("response body written after its end");
      }
      if (len == 0) {
        return;
      }
      out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(b, off, len);
      out.write(CRLF);
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        out.write(LAST_CHUNK);
      }
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};
  }
}
