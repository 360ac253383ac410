package dev.carryon.launcher.cli.sync;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** Option values with units: sizes ({@code 512M}, {@code 2G}) and intervals ({@code 30m}, {@code 1h}). */
final class Units {
  private Units() {}

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
