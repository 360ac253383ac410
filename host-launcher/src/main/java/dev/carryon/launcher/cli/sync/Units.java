package dev.carryon.launcher.cli.sync;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** Option values with units: sizes ({@code 512M}, {@code 2G}) and intervals ({@code 30m}, {@code 1h}). */
final class Units {
  private static final String SIZE_SUFFIXES = "KMGTP";

  private Units() {}

  /** Sizes: a whole number of bytes, or with K, M, G, T or P (powers of 1024). */
  static final class Size implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String text) {
      String t = text.trim().toUpperCase(Locale.ROOT);
      int shift = 0;
      if (!t.isEmpty() && SIZE_SUFFIXES.indexOf(t.charAt(t.length() - 1)) >= 0) {
        shift = 10 * (SIZE_SUFFIXES.indexOf(t.charAt(t.length() - 1)) + 1);
        t = t.substring(0, t.length() - 1);
      }
      try {
        long n = Long.parseLong(t);
        if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
          throw new NumberFormatException();
        }
        return n << shift;
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException(
            "'" + text + "' is not a size like 512, 64K, 100M or 10G");
      }
    }
  }

  /** Intervals: a positive whole number with s, m, h or d. */
  static final class Interval implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
      String t = text.trim().toLowerCase(Locale.ROOT);
      try {
        if (t.length() >= 2) {
          long n = Long.parseLong(t.substring(0, t.length() - 1));
          Duration d =
              switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> null;
              };
          if (d != null && n > 0) {
            return d;
          }
        }
      } catch (NumberFormatException | ArithmeticException e) {
        // reported below
      }
      throw new CommandLine.TypeConversionException(
          "'" + text + "' is not an interval like 30s, 15m, 1h or 1d");
    }
  }
}
