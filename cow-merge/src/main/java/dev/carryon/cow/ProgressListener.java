package dev.carryon.cow;

/** Told how far a long operation got. */
@FunctionalInterface
public interface ProgressListener {
  /** Does nothing. */
  ProgressListener NONE = (done, total) -> {};

  /** {@code done} of {@code total} bytes are through. */
  void progress(long done, long total);
}
