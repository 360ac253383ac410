package dev.carryon.carrier.protocol;

import java.io.IOException;
import java.io.InputStream;

/** Reads request bodies whole, within a limit, so that nothing is acted on before all arrived. */
final class Bodies {
  private Bodies() {}

  /**
   * The body of at most {@code limit} bytes; {@code declared} is its {@code Content-Length} (-1:
   * not given, e.g. chunked).
   *
   * @throws ProtocolException {@code too-large} above the limit, {@code length-mismatch} when the
   *     body ends before its declared length
   */
  static byte[] read(String what, InputStream in, long declared, int limit)
      throws ProtocolException {
    if (declared > limit) {
      throw tooLarge(what, declared, limit);
    }
    byte[] buffer = new byte[declared >= 0 ? (int) declared : Math.min(limit, 8192)];
    int n = 0;
    try {
      while (true) {
        if (n == buffer.length) {
          if (declared >= 0 || n >= limit) {
            // All declared bytes are in, or the limit is reached: one more byte is too many.
            if (in.read() >= 0) {
              throw declared >= 0 ? longer(what, declared) : tooLarge(what, limit + 1L, limit);
            }
            break;
          }
          buffer = java.util.Arrays.copyOf(buffer, (int) Math.min((long) n * 2, limit));
        }
        int r = in.read(buffer, n, buffer.length - n);
        if (r < 0) {
          break;
        }
        n += r;
      }
    } catch (ProtocolException e) {
      throw e;
    } catch (IOException e) {
      throw new ProtocolException(
          ErrorCode.LENGTH_MISMATCH,
          what + ": the body was cut after " + n + " bytes (" + e.getMessage() + "); nothing was"
              + " written",
          e);
    }
    if (declared >= 0 && n < declared) {
      throw new ProtocolException(
          ErrorCode.LENGTH_MISMATCH,
          what + ": the body ended after " + n + " of its " + declared + " declared bytes; nothing"
              + " was written");
    }
    return n == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, n);
  }

  private static ProtocolException longer(String what, long declared) {
    return new ProtocolException(
        ErrorCode.LENGTH_MISMATCH,
        what + ": the body is longer than its declared " + declared + " bytes; nothing was written");
  }

  private static ProtocolException tooLarge(String what, long size, int limit) {
    return new ProtocolException(
        ErrorCode.TOO_LARGE,
        what + ": a body of " + size + " bytes is over this server's limit of " + limit
            + " bytes; nothing was written");
  }
}
