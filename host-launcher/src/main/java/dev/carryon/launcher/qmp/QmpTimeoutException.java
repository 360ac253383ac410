package dev.carryon.launcher.qmp;

import java.io.IOException;
import java.time.Duration;

/** A QMP command got no reply, or an awaited event did not come, within its timeout. */
public class QmpTimeoutException extends IOException {
  private static final long serialVersionUID = 1L;

  public QmpTimeoutException(String what, Duration timeout) {
    super(what + " got no answer within " + timeout.toMillis() + " ms");
  }
}
