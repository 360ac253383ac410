package dev.carryon.carrier;

/** A manifest cannot be read: the message names the manifest (where it lives) and the problem. */
public final class CarrierFormatException extends CarrierException {
  /** What is wrong with the manifest. */
  public enum Kind {
    /** The file is not JSON at all (or not a JSON object). */
    NOT_JSON,
    /** JSON, but not a carryon carrier manifest: {@code "format"} is absent or another. */
    FOREIGN,
    /** A carrier manifest of a version this code does not read. */
    UNSUPPORTED_VERSION,
    /** A required field is absent. */
    MISSING_FIELD,
    /** A field holds a value of the wrong type or out of range, or an unknown field is present. */
    BAD_VALUE,
    /** Fields disagree with each other (a chain, a generation, a file list). */
    INCONSISTENT,
    /** A file the manifest references does not exist. */
    MISSING_FILE,
  }

  /** What is wrong. */
  private final Kind kind;

  CarrierFormatException(Kind kind, String source, String problem) {
    this(kind, source, problem, null);
  }

  CarrierFormatException(Kind kind, String source, String problem, Throwable cause) {
    super(source + ": " + problem, cause);
    this.kind = kind;
  }

  /** What is wrong with the manifest. */
  public Kind kind() {
    return kind;
  }
}
