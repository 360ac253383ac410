package dev.carryon.companion.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Reads the CRLF-terminated lines of HTTP/1.1's framing, strictly and within a byte limit. */
final class LineReader {
  private LineReader() {}

  /**
   * The next line without its CRLF, decoded as ISO-8859-1 (HTTP's octets, one char each); null
   * when the stream ends before the line's first byte. A bare CR or LF is refused, as is a line
   * longer than {@code limit} bytes.
   */
  static String readLine(InputStream in, int limit, String what) throws IOException {
    byte[] line = new byte[Math.min(Math.max(limit, 0), 256)];
    int length = 0;
    while (true) {
      int c = in.read();
      if (c < 0) {
        if (length == 0) {
          return null;
        }
        throw new EOFException("the connection ended inside the " + what);
      }
      if (c == '\r') {
        if (in.read() != '\n') {
          throw new BadRequestException("a CR not followed by LF in the " + what);
        }
        return new String(line, 0, length, StandardCharsets.ISO_8859_1);
      }
      if (c == '\n') {
        throw new BadRequestException("a line of the " + what + " ends in LF without CR");
      }
      if (length >= limit) {
        throw new BadRequestException("the " + what + " is longer than " + limit + " bytes");
      }
      if (length == line.length) {
        byte[] bigger = new byte[Math.min(limit, line.length * 2)];
        System.arraycopy(line, 0, bigger, 0, length);
        line = bigger;
      }
      line[length++] = (byte) c;
    }
  }

  /** {@code s} cut to a length fit for an error message. */
  static String shorten(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
