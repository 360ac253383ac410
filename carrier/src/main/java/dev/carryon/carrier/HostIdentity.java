package dev.carryon.carrier;

/**
 * Who is acting on a carrier: the caller knows its host (from its own host catalog) and says so.
 *
 * @param hostId a stable id of the host, unique among hosts
 * @param hostName the host's name as people know it
 */
public record HostIdentity(String hostId, String hostName) {
  public HostIdentity {
    if (hostId == null || hostId.isBlank()) {
      throw new IllegalArgumentException("hostId (" + hostId + ") must not be blank");
    }
    if (hostName == null || hostName.isBlank()) {
      throw new IllegalArgumentException("hostName (" + hostName + ") must not be blank");
    }
  }

  /** This machine's name, for people reading a lease or a lock holder. */
  public static String localHostName() {
    String name = System.getenv("HOSTNAME");
    if (name == null || name.isEmpty()) {
      try {
        name = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        name = "unknown-host";
      }
    }
    return name;
  }
}
