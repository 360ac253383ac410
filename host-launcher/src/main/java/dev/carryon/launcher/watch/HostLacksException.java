package dev.carryon.launcher.watch;

import java.io.IOException;

/** This host lacks something the watch needs (a tool); the message names it. */
public final class HostLacksException extends IOException {
  private static final long serialVersionUID = 1L;

  HostLacksException(String message) {
    super(message);
  }
}
