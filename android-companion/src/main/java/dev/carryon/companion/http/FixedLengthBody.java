package dev.carryon.companion.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** A body framed by {@code Content-Length}: exactly that many bytes, then the next request. */
final class FixedLengthBody extends RequestBody {
  /** The connection's stream. */
  private final InputStream in;

  /** The declared length. */
  private final long length;

  /** Bytes still to come. */
  private long remaining;

  FixedLengthBody(InputStream in, long length) {
    this.in = in;
    this.length = length;
    this.remaining = length;
  }

  @Override
  int readBody(byte[] b, int off, int len) throws IOException {
    if (remaining == 0) {
      return -1;
    }
    int n = in.read(b, off, (int) Math.min(len, remaining));
    if (n < 0) {
      throw new EOFException(
          "the request body ended after "
              + (length - remaining)
              + " of the "
              + length
              + " bytes its Content-Length declared");
    }
    remaining -= n;
    return n;
  }

  @Override
  public int available() throws IOException {
    return (int) Math.min(in.available(), remaining);
  }
}
