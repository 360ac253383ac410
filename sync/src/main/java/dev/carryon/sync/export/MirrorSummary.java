package dev.carryon.sync.export;

import java.util.List;

/**
 * What a mirror run did.
 *
 * @param files regular files in the guest directory
 * @param written files written (new or changed content), each through a temporary name
 * @param bytesWritten bytes of content written
 * @param renamed files moved from their old name on the host (renamed in the guest), unwritten
 * @param unchanged files left as they were (perhaps with new permissions or time)
 * @param symlinks symbolic links written
 * @param directories directories created
 * @param deleted host entries removed because the guest no longer has them (a folder counts once)
 * @param skipped one line per guest entry left out and why, e.g. "/dev/null: char device skipped"
 */
public record MirrorSummary(
    long files, long written, long bytesWritten, long renamed, long unchanged, long symlinks,
    long directories, long deleted, List<String> skipped) {

  public MirrorSummary {
    skipped = List.copyOf(skipped);
  }
}
