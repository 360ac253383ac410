package dev.carryon.launcher.cli;

import java.util.Locale;
import picocli.CommandLine;

/** Parses a size in bytes: a whole number, or with K, M, G, T or P (powers of 1024). */
public final class ByteSize implements CommandLine.ITypeConverter<Long> {
  private static final String SUFFIXES = "KMGTP";

  @Override
  public Long convert(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT);
    int shift = 0;
    if (!t.isEmpty() && SUFFIXES.indexOf(t.charAt(t.length() - 1)) >= 0) {
      shift = 10 * (SUFFIXES.indexOf(t.charAt(t.length() - 1)) + 1);
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
