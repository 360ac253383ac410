package dev.carryon.sync.guestfs;

import java.io.IOException;

/**
 * libguestfs could not read a volume: it is not installed, its appliance did not start, or
 * guestfish reported an error (quoted in the message).
 */
public final class GuestfsException extends IOException {
  /** Whether libguestfs (guestfish) is missing from this host, rather than failing. */
  private final boolean missing;

  GuestfsException(String message, boolean missing) {
    super(message);
    this.missing = missing;
  }

  /** Whether the host lacks libguestfs, so that installing it is the cure. */
  public boolean missing() {
    return missing;
  }
}
