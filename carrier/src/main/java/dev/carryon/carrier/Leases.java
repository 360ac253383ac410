package dev.carryon.carrier;

import java.time.Instant;

/**
 * The lease rules: one session holds a carrier at a time, from its resume to its end; commands
 * that change what a session may still write (sync, reset) wait until none does. Pure functions of
 * manifests; {@code location} names the carrier in refusals.
 */
final class Leases {
  private Leases() {}

  /**
   * The manifest with the lease taken for {@code sessionId} on {@code host} since {@code now}, or
   * {@code m} itself when that session already holds it; refuses when another session does.
   */
  static Manifest taken(
      Manifest m, String location, HostIdentity host, String sessionId, Instant now)
      throws LeaseException {
    Lease held = m.lease();
    if (held == null) {
      return m.withLease(new Lease(host.hostId(), host.hostName(), sessionId, now));
    }
    if (held.heldBy(host, sessionId)) {
      return m;
    }
    throw new LeaseException(
        location + ": leased by " + held.describe()
            + "; break the lease only if that session is gone",
        held);
  }

  /** Refuses unless {@code sessionId} on {@code host} holds the lease. */
  static void requireHeld(Manifest m, String location, HostIdentity host, String sessionId)
      throws LeaseException {
    Lease held = m.lease();
    if (held == null) {
      throw new LeaseException(
          location + ": session " + sessionId + " holds no lease (it was released or broken)",
          null);
    }
    if (!held.heldBy(host, sessionId)) {
      throw new LeaseException(
          location + ": leased by " + held.describe() + ", not by session " + sessionId
              + " on host " + host.hostName(),
          held);
    }
  }

  /** Refuses, naming the holder, while a session holds the lease: {@code action} must wait. */
  static void requireFree(Manifest m, String location, String action) throws LeaseException {
    Lease held = m.lease();
    if (held != null) {
      throw new LeaseException(
          location + ": leased by " + held.describe() + "; " + action + " refused until it ends",
          held);
    }
  }
}
