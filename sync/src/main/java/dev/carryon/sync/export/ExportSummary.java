package dev.carryon.sync.export;

import java.util.List;

/**
 * What an export wrote.
 *
 * @param files regular files written
 * @param directories directories written
 * @param symlinks symbolic links written
 * @param bytes bytes of regular-file content written
 * @param skipped one line per entry left out and why, e.g. "/dev/null: character device skipped"
 */
public record ExportSummary(
    long files, long directories, long symlinks, long bytes, List<String> skipped) {

  public ExportSummary {
    skipped = List.copyOf(skipped);
  }
}
