package dev.carryon.carrier.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answer {@link ProtocolHandler} gives: status, headers, and a body of known length that the
 * server writes after them (streamed from the carrier for file reads).
 */
public final class WireReply {
  /** The HTTP status. */
  private final int status;

  /** Headers to send, in order; {@code Content-Length} is {@link #length}, not among them. */
  private final Map<String, String> headers = new LinkedHashMap<>();

  /** The body's length in bytes (0: none). */
  private final long length;

  /** Writes the body. */
  private final Body body;

  /** Writes a reply's body. */
  interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  private WireReply(int status, long length, Body body) {
    this.status = status;
    this.length = length;
    this.body = body;
  }

  static WireReply empty(int status) {
    return new WireReply(status, 0, out -> {});
  }

  static WireReply bytes(int status, String contentType, byte[] bytes) {
    return new WireReply(status, bytes.length, out -> out.write(bytes)).header("Content-Type", contentType);
  }

  static WireReply json(int status, String json) {
    return bytes(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }

  static WireReply streamed(int status, long length, Body body) {
    return new WireReply(status, length, body);
  }

  WireReply header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  public int status() {
    return status;
  }

  /** The headers but {@code Content-Length}. */
  public Map<String, String> headers() {
    return Collections.unmodifiableMap(headers);
  }

  /** The body's length, to send as {@code Content-Length} (also for {@code HEAD}, see {@link #sendsBody}). */
  public long length() {
    return length;
  }

  /**
   * False when the server must send no body even though {@link #length} is not 0: the answer to
   * a {@code HEAD}, whose {@code Content-Length} is the file's size.
   */
  public boolean sendsBody() {
    return body != null;
  }

  /** Writes the body (exactly {@link #length} bytes) to {@code out}. */
  public void writeBody(OutputStream out) throws IOException {
    if (body != null) {
      body.writeTo(out);
    }
  }

  /** The answer to a {@code HEAD}: this length, no body. */
  static WireReply head(long length) {
    return new WireReply(200, length, null);
  }
}
