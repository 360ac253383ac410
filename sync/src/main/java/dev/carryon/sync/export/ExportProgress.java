package dev.carryon.sync.export;

/** Told after each regular file an export or mirror has handled, e.g. to draw a progress line. */
@FunctionalInterface
public interface ExportProgress {
  /** Does nothing. */
  ExportProgress NONE = (files, bytes) -> { };

  /** {@code files} regular files of {@code bytes} bytes handled so far. */
  void handled(long files, long bytes);
}
