package dev.carryon.carrier;

/** Told how far a long copy or check has come, after each chunk. */
@FunctionalInterface
public interface Progress {
  /** Reports nothing. */
  Progress NONE = (done, total) -> {};

  /**
   * @param done bytes handled so far
   * @param total bytes to handle in all, or -1 when not known in advance
   */
  void advanced(long done, long total);
}
