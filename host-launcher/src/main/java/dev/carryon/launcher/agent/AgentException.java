package dev.carryon.launcher.agent;

import java.io.IOException;

/** A request the agent refuses to read or to run; the message says why. */
final class AgentException extends IOException {
  private static final long serialVersionUID = 1L;

  AgentException(String message) {
    super(message);
  }
}
