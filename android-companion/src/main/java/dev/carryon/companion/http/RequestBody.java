package dev.carryon.companion.http;

import java.io.IOException;
import java.io.InputStream;

/**
 * A request's body, read from the connection up to where the framing says it ends, so that what
 * follows on the connection is the next request. Closing it does not close the connection.
 */
abstract class RequestBody extends InputStream {
  /** Something to do before the body's first byte is read. */
  interface BeforeRead {
    void run() throws IOException;
  }

  /** Runs once, before the first byte is read: answers {@code Expect: 100-continue}. */
  private BeforeRead beforeFirstRead;

  /** Set when the framing's end was reached: the connection can carry another request. */
  private boolean finished;

  /** The body of a request that has none. */
  static RequestBody empty() {
    RequestBody b =
        new RequestBody() {
          @Override
          int readBody(byte[] b, int off, int len) {
            return -1;
          }
        };
    b.finished = true;
    return b;
  }

  void beforeFirstRead(BeforeRead action) {
    this.beforeFirstRead = action;
  }

  /** True once the body's end was read, so the connection is positioned at the next request. */
  boolean finished() {
    return finished;
  }

  /** Reads into {@code b} as {@link InputStream#read(byte[], int, int)}; -1 at the body's end. */
  abstract int readBody(byte[] b, int off, int len) throws IOException;

  @Override
  public final int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public final int read(byte[] b, int off, int len) throws IOException {
    if (finished) {
      return -1;
    }
    if (beforeFirstRead != null) {
      BeforeRead r = beforeFirstRead;
      beforeFirstRead = null;
      r.run();
    }
    if (len == 0) {
      return 0;
    }
    int n = readBody(b, off, len);
    if (n < 0) {
      finished = true;
    }
    return n;
  }

  /** Does not close the connection; a body not read to its end makes the connection close. */
  @Override
  public void close() {}
}
