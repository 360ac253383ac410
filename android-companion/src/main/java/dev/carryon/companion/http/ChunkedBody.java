package dev.carryon.companion.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A body in the chunked transfer coding (RFC 9112, section 7.1): chunks of {@code SIZE CRLF DATA
 * CRLF}, a last chunk of size 0, trailer fields (read and dropped), an empty line. Chunk
 * extensions are ignored; a size line or the trailer section over the limits is refused.
 */
final class ChunkedBody extends RequestBody {
  /** Longest chunk-size line accepted, extensions included. */
  private static final int SIZE_LINE_BYTES = 4096;

  /** Most hex digits in a chunk size: 15 keep it below 2^60, no overflow. */
  private static final int SIZE_DIGITS = 15;

  /** The connection's stream. */
  private final InputStream in;

  /** Longest trailer section accepted. */
  private final int trailerBytes;

  /** Bytes left in the current chunk; 0 between chunks. */
  private long chunkLeft;

  /** Set once the last chunk and the trailers were read. */
  private boolean done;

  ChunkedBody(InputStream in, int trailerBytes) {
    this.in = in;
    this.trailerBytes = trailerBytes;
  }

  @Override
  int readBody(byte[] b, int off, int len) throws IOException {
    if (done) {
      return -1;
    }
    if (chunkLeft == 0) {
      chunkLeft = readChunkSize();
      if (chunkLeft == 0) {
        readTrailers();
        done = true;
        return -1;
      }
    }
    int n = in.read(b, off, (int) Math.min(len, chunkLeft));
    if (n < 0) {
      throw new EOFException("the request body ended inside a chunk");
    }
    chunkLeft -= n;
    if (chunkLeft == 0) {
      expectCrlf();
    }
    return n;
  }

  private long readChunkSize() throws IOException {
    String line = LineReader.readLine(in, SIZE_LINE_BYTES, "chunk size line");
    if (line == null) {
      throw new EOFException("the request body ended before its last chunk");
    }
    int end = line.indexOf(';');
    String hex = (end < 0 ? line : line.substring(0, end)).trim();
    if (hex.isEmpty() || hex.length() > SIZE_DIGITS) {
      throw new BadRequestException("bad chunk size '" + LineReader.shorten(line) + "'");
    }
    long size = 0;
    for (int i = 0; i < hex.length(); i++) {
      int digit = Character.digit(hex.charAt(i), 16);
      if (digit < 0) {
        throw new BadRequestException("bad chunk size '" + LineReader.shorten(line) + "'");
      }
      size = size * 16 + digit;
    }
    return size;
  }

  private void readTrailers() throws IOException {
    int used = 0;
    while (true) {
      String line = LineReader.readLine(in, trailerBytes - used, "trailer section");
      if (line == null) {
        throw new EOFException("the request body ended inside its trailer section");
      }
      if (line.isEmpty()) {
        return;
      }
      used += line.length() + 2;
    }
  }

  private void expectCrlf() throws IOException {
    int cr = in.read();
    int lf = in.read();
    if (cr != '\r' || lf != '\n') {
      throw new BadRequestException("a chunk's data is not followed by CRLF");
    }
  }
}
