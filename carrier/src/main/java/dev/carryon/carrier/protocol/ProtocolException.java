package dev.carryon.carrier.protocol;

import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request refused (server side) or an error answer received (client side): the protocol's
 * {@link ErrorCode}, a message naming the carrier file or the request and the problem, and the
 * code's extra fields ({@code holder} and {@code expires} of a held lock, {@code supported}
 * versions).
 */
public class ProtocolException extends IOException {
  /** What went wrong, as the protocol names it. */
  private final ErrorCode code;

  /** The extra fields of the error body, in order; values are strings, numbers or lists. */
  private final Map<String, Object> fields;

  public ProtocolException(ErrorCode code, String message) {
    this(code, message, Collections.<String, Object>emptyMap(), null);
  }

  public ProtocolException(ErrorCode code, String message, Throwable cause) {
    this(code, message, Collections.<String, Object>emptyMap(), cause);
  }

  public ProtocolException(
      ErrorCode code, String message, Map<String, Object> fields, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  public ErrorCode code() {
    return code;
  }

  /** Extra fields of the error body beyond {@code error} and {@code message}. */
  public Map<String, Object> fields() {
    return fields;
  }
}
