package dev.carryon.launcher.cli.cow;

import dev.carryon.cow.ImageException;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/** Turns the engine's exceptions into {@link CarryonException}s that name the file. */
final class CowErrors {
  /** An engine action that may fail with an I/O error. */
  interface Action<T> {
    T run() throws IOException;
  }

  private CowErrors() {}

  static <T> T call(Action<T> action) {
    try {
      return action.run();
    } catch (ImageException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, e.getMessage(), e);
    } catch (NoSuchFileException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, e.getMessage() + ": no such file", e);
    } catch (FileAlreadyExistsException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, e.getMessage() + ": already exists", e);
    } catch (IllegalArgumentException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, e.getMessage(), e);
    } catch (IOException e) {
      throw new CarryonException(ExitCodes.FAILURE, e.getMessage(), e);
    }
  }

  /** Parses "64K", "1M", "10G", "512" (bytes; suffixes are powers of 1024). */
  static long parseSize(String option, String text) {
    String t = text.trim().toUpperCase(java.util.Locale.ROOT);
    int shift = 0;
    if (!t.isEmpty() && "KMGTP".indexOf(t.charAt(t.length() - 1)) >= 0) {
      shift = 10 * ("KMGTP".indexOf(t.charAt(t.length() - 1)) + 1);
      t = t.substring(0, t.length() - 1);
    }
    try {
      long n = Long.parseLong(t);
      if (n < 0 || (shift > 0 && n > (Long.MAX_VALUE >> shift))) {
        throw new NumberFormatException();
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new CarryonException(
          ExitCodes.USAGE, option + " (" + text + ") must be a size like 512, 64K, 1M or 10G");
    }
  }
}
