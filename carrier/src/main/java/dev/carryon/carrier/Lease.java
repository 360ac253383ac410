package dev.carryon.carrier;

import java.time.Instant;
import java.util.Objects;

/**
 * The claim of one host's session on a carrier: while it is held, no other session may resume from
 * the carrier or commit to it.
 *
 * @param hostId stable id of the holding host
 * @param hostName the holding host's name, for people reading a refusal
 * @param sessionId the session that holds the carrier
 * @param since when the lease was taken
 */
public record Lease(String hostId, String hostName, String sessionId, Instant since) {
  public Lease {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(hostName, "hostName");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(since, "since");
  }

  /** True when this lease belongs to {@code session} on {@code host}. */
  public boolean heldBy(HostIdentity host, String session) {
    return hostId.equals(host.hostId()) && sessionId.equals(session);
  }

  /** The holder as people name it: host name, session and since when. */
  public String describe() {
    return "host " + hostName + " (id " + hostId + "), session " + sessionId + ", since " + since;
  }
}
