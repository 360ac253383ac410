package dev.carryon.launcher.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses a guest RAM size such as {@code 256M}, {@code 1G} or {@code 512} (MiB) into MiB. */
final class MemorySize implements CommandLine.ITypeConverter<Long> {
  private static final Pattern SIZE =
      Pattern.compile("(\\d{1,12})\\s*(?:([KMGT])(?:I?B)?)?", Pattern.CASE_INSENSITIVE);

  @Override
  public Long convert(String value) {
    Matcher m = SIZE.matcher(value.strip());
    if (!m.matches()) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a size like 256M or 2G");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "M" : m.group(2).toUpperCase(Locale.ROOT);
    long kib =
        switch (unit) {
          case "K" -> n;
          case "M" -> n * 1024;
          case "G" -> n * 1024 * 1024;
          default -> n * 1024 * 1024 * 1024;
        };
    if (kib == 0 || kib % 1024 != 0) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a positive whole number of MiB");
    }
    return kib / 1024;
  }
}
