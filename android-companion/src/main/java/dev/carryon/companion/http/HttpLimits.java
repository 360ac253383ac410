package dev.carryon.companion.http;

/**
 * The bounds {@link HttpServer} holds every connection and request to, so that no client can make
 * it allocate or wait without end.
 *
 * @param connections connections served at once; further clients wait in the listen backlog
 * @param requestLineBytes longest request line accepted (method, target, version)
 * @param headerBytes longest header section accepted, all fields together
 * @param headerFields most header fields accepted in one request
 * @param idleMillis how long a connection may stay silent (between requests, or inside one)
 *     before it is closed
 */
public record HttpLimits(
    int connections, int requestLineBytes, int headerBytes, int headerFields, int idleMillis) {
  /** What the companion serves with: a phone serves one PC, through one adb forward. */
  public static final HttpLimits DEFAULT = new HttpLimits(16, 8 * 1024, 32 * 1024, 100, 30_000);

  public HttpLimits {
    check(connections, "connections");
    check(requestLineBytes, "requestLineBytes");
    check(headerBytes, "headerBytes");
    check(headerFields, "headerFields");
    check(idleMillis, "idleMillis");
  }

  private static void check(int value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " (" + value + ") must be positive");
    }
  }
}
