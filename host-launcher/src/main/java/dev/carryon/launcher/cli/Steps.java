package dev.carryon.launcher.cli;

import dev.carryon.launcher.session.Step;
import java.io.PrintWriter;
import java.util.List;

/** How {@code resume} and {@code end} report their steps: one line each, time and bytes. */
final class Steps {
  private Steps() {}

  static void print(List<Step> steps, PrintWriter out) {
    for (Step step : steps) {
      out.printf(
          "  %-50s %7.2f s%s%n",
          step.name(), step.seconds(), step.bytes() < 0 ? "" : String.format("  %,d bytes", step.bytes()));
    }
  }
}
