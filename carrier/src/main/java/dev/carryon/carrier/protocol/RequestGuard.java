package dev.carryon.carrier.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What every request passes before its meaning is looked at, in this order: the path's grammar
 * (checked on the path as it came, before any decoding), the token, the protocol version.
 */
public final class RequestGuard {
  /** A path segment as the protocol's paths use them; nothing needs percent-encoding. */
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");

  /** The token every request must carry. */
  private final String token;

  public RequestGuard(String token) {
    String problem = Tokens.problem(token);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    this.token = token;
  }

  /**
   * Refuses a raw (not percent-decoded) request path outside the protocol's grammar: an encoded
   * character ({@code %2F}, {@code %2E}...), an empty, {@code .} or {@code ..} segment, a
   * backslash. No carrier file is named by such a path, so it is refused before anything else.
   */
  public static void checkPath(String rawPath) throws ProtocolException {
    if (rawPath == null || !rawPath.startsWith("/")) {
      throw new ProtocolException(ErrorCode.BAD_NAME, "request path '" + rawPath + "' is not absolute");
    }
    if (rawPath.length() > 1024) {
      throw new ProtocolException(
          ErrorCode.BAD_NAME, "request path of " + rawPath.length() + " characters is too long");
    }
    String body = rawPath.substring(1);
    if (body.isEmpty()) {
      return;
    }
    if (body.endsWith("/")) {
      body = body.substring(0, body.length() - 1);
    }
    for (String segment : body.split("/", -1)) {
      if (!SEGMENT.matcher(segment).matches()) {
        throw new ProtocolException(
            ErrorCode.BAD_NAME,
            "request path '" + rawPath + "' names no carrier file: segment '" + segment
                + "' is empty, '.' or '..', encoded, or holds a character outside"
                + " [A-Za-z0-9._-]");
      }
    }
  }

  /** Refuses a request whose {@code Authorization} header does not carry the token. */
  public void checkToken(String authorization) throws ProtocolException {
    if (!Tokens.matches(token, bearer(authorization))) {
      throw unauthorized(authorization == null ? "no token given" : "wrong token");
    }
  }

  /**
   * Refuses a request for the browser page that carries the token in none of the three places it
   * may: the {@code Authorization} header, the {@code token} query parameter, the cookie.
   */
  public void checkPageToken(String authorization, String queryToken, String cookieToken)
      throws ProtocolException {
    if (!Tokens.matches(token, bearer(authorization))
        && !Tokens.matches(token, queryToken)
        && !Tokens.matches(token, cookieToken)) {
      boolean none = authorization == null && queryToken == null && cookieToken == null;
      throw unauthorized(
          none ? "no token given (add ?token=TOKEN to the address)" : "wrong token");
    }
  }

  /** True when {@code given} is the token (for a page's {@code ?token=} before it sets the cookie). */
  public boolean isToken(String given) {
    return Tokens.matches(token, given);
  }

  /** Refuses a {@code Carryon-Protocol} header naming a version this server does not speak. */
  public static void checkVersion(String header) throws ProtocolException {
    if (header == null || header.trim().equals(Integer.toString(Protocol.VERSION))) {
      return;
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("supported", Collections.singletonList(Protocol.VERSION));
    throw new ProtocolException(
        ErrorCode.UNSUPPORTED_PROTOCOL,
        "protocol version '" + header + "' is not spoken here; this server speaks version "
            + Protocol.VERSION,
        fields,
        null);
  }

  private static String bearer(String authorization) {
    if (authorization == null
        || !authorization.regionMatches(true, 0, Protocol.BEARER, 0, Protocol.BEARER.length())) {
      return null;
    }
    return authorization.substring(Protocol.BEARER.length()).trim();
  }

  private static ProtocolException unauthorized(String why) {
    return new ProtocolException(ErrorCode.UNAUTHORIZED, why + ": this carrier needs its token");
  }
}
