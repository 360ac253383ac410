package dev.carryon.launcher.session;

/**
 * One timed step of a {@code resume} or an {@code end}, as the command reports it.
 *
 * @param name what was done
 * @param seconds how long it took
 * @param bytes bytes it wrote, or -1 when that means nothing
 */
public record Step(String name, double seconds, long bytes) {
  /** The step {@code name}, begun at {@code startNanos} ({@link System#nanoTime}) and done now. */
  static Step since(String name, long startNanos, long bytes) {
    return new Step(name, (System.nanoTime() - startNanos) / 1e9, bytes);
  }
}
