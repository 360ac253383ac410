package dev.carryon.carrier.protocol;

/** Every error of the protocol: its HTTP status and the code in the JSON body. */
public enum ErrorCode {
  BAD_NAME(400, "bad-name"),
  BAD_REQUEST(400, "bad-request"),
  LENGTH_MISMATCH(400, "length-mismatch"),
  UNSUPPORTED_PROTOCOL(400, "unsupported-protocol"),
  UNAUTHORIZED(401, "unauthorized"),
  NOT_FOUND(404, "not-found"),
  NO_MANIFEST(404, "no-manifest"),
  METHOD_NOT_ALLOWED(405, "method-not-allowed"),
  EXISTS(409, "exists"),
  OUT_OF_ORDER(409, "out-of-order"),
  MANIFEST_CHANGED(412, "manifest-changed"),
  TOO_LARGE(413, "too-large"),
  RANGE_NOT_SATISFIABLE(416, "range-not-satisfiable"),
  LOCKED(423, "locked"),
  LOCK_REQUIRED(423, "lock-required"),
  IO_ERROR(500, "io-error"),
  NOT_SUPPORTED(501, "not-supported"),
  NO_SPACE(507, "no-space");

  /** The HTTP status. */
  private final int status;

  /** The {@code "error"} value of the body. */
  private final String code;

  ErrorCode(int status, String code) {
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** The error with wire code {@code code}, or null for a code this version does not know. */
  public static ErrorCode of(String code) {
    for (ErrorCode e : values()) {
      if (e.code.equals(code)) {
        return e;
      }
    }
    return null;
  }
}
