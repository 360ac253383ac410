package dev.carryon.companion.http;

import java.io.IOException;

/**
 * A request the server cannot read as HTTP/1.1: a malformed line, a header section over the
 * limits, contradictory framing. The connection is answered with {@link #status()} and closed,
 * since the next request's start cannot be found.
 */
public final class BadRequestException extends IOException {
  /** The HTTP status to answer with. */
  private final int status;

  BadRequestException(int status, String message) {
    super(message);
    this.status = status;
  }

  BadRequestException(String message) {
    this(400, message);
  }

  /** The HTTP status to answer with (400, or 417 for an unknown expectation). */
  public int status() {
    return status;
  }
}
