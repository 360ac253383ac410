package dev.carryon.launcher.cli;

import dev.carryon.launcher.session.Step;
import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * How {@code resume} and {@code end} report their steps: one line each, time and bytes, printed
 * (and flushed) as each completes, so that a command interrupted midway has shown how far it got.
 */
final class Steps {
  private Steps() {}

  /** Prints each step to {@code out} as it is reported. */
  static Consumer<Step> printer(PrintWriter out) {
    return step -> {
      out.printf(
          "  %-50s %7.2f s%s%n",
          step.name(),
          step.seconds(),
          step.bytes() < 0 ? "" : String.format("  %,d bytes", step.bytes()));
      out.flush();
    };
  }
}
