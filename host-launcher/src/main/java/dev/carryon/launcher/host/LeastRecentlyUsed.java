package dev.carryon.launcher.host;

import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * The eviction rule of this host's stores of carrier data (the host cache's files, the session
 * keepers' chunks): the files used least recently (by modification time, which each store sets
 * when it hands a file out) go first, never a pinned one; when pinned files alone exceed the size,
 * the store stays over it rather than take from a running session.
 */
public final class LeastRecentlyUsed {
  private LeastRecentlyUsed() {}

  /**
   * Deletes files of {@code files}, least recently used first and none that {@code pinned} holds,
   * until their sizes add up to at most {@code target} bytes; returns the bytes left.
   */
  public static long evict(List<Path> files, Predicate<Path> pinned, long target)
      throws IOException {
    List<Path> byUse = new ArrayList<>(files);
    long total = 0;
    for (Path f : byUse) {
      total += sizeOf(f);
    }
    if (total <= target) {
      return total;
    }
    byUse.sort(Comparator.comparing(LeastRecentlyUsed::lastUsed));
    for (Path f : byUse) {
      if (total <= target) {
        break;
      }
      if (!pinned.test(f)) {
        long size = sizeOf(f);
        WritePoints.reach(f, "evict");
        Files.deleteIfExists(f);
        total -= size;
      }
    }
    return total;
  }

  /** The size of {@code f}, or 0 when another process removed it meanwhile. */
  public static long sizeOf(Path f) throws IOException {
    try {
      return Files.size(f);
    } catch (NoSuchFileException gone) {
      return 0;
    }
  }

  private static FileTime lastUsed(Path f) {
    try {
      return Files.getLastModifiedTime(f);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }
}
