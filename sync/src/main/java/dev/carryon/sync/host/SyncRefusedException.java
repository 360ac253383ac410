package dev.carryon.sync.host;

import java.io.IOException;

/**
 * A sync refused before anything was written: the host image is not a copy of the carrier's disk
 * (or was changed since its last sync), or it has another size. The message names the image and
 * what did not match.
 */
public final class SyncRefusedException extends IOException {
  /** Why the sync was refused. */
  public enum Kind {
    /** The image's virtual size differs from the carrier's disk. */
    SIZE_MISMATCH,
    /** The image's content matches neither the carrier's disk nor what it held before. */
    WRONG_DISK,
  }

  /** Why the sync was refused. */
  private final Kind kind;

  SyncRefusedException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  /** Why the sync was refused. */
  public Kind kind() {
    return kind;
  }
}
