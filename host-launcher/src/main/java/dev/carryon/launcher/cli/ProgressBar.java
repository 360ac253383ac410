package dev.carryon.launcher.cli;

import java.io.PrintWriter;

/**
 * A one-line progress bar on stderr, redrawn in place when the percentage changes; silent when
 * stderr is not a terminal, so logs and scripts see only the summary lines.
 */
public final class ProgressBar {
  private static final int WIDTH = 40;

  /** Where the bar is drawn, or null when not on a terminal. */
  private final PrintWriter err;
  /** What is being done, e.g. "merging". */
  private final String label;
  /** Percentage last drawn; -1 before the first. */
  private int shown = -1;

  private ProgressBar(PrintWriter err, String label) {
    this.err = err;
    this.label = label;
  }

  /** A bar labelled {@code label} on {@code err}, drawn only when there is a terminal. */
  public static ProgressBar on(PrintWriter err, String label) {
    return new ProgressBar(Terminal.current().present() ? err : null, label);
  }

  /** Redraws the bar for {@code done} of {@code total}. */
  public void update(long done, long total) {
    if (err == null) {
      return;
    }
    int percent = total <= 0 ? 100 : (int) Math.min(100, done * 100 / total);
    if (percent != shown) {
      shown = percent;
      int filled = percent * WIDTH / 100;
      err.print(
          "\r" + label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + percent
              + "%");
      err.flush();
    }
  }

  /** Ends the bar's line, if one was drawn. */
  public void finish() {
    if (err != null && shown >= 0) {
      err.println();
      err.flush();
      shown = -1;
    }
  }
}
