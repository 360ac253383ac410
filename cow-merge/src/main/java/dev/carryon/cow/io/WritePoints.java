package dev.carryon.cow.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every change carryon makes to stable storage that must survive a cut (a write, a force, a
 * rename, a delete, a truncate) calls {@link #reach} first. That gives crash tests one place to
 * count those points and to stop the process dead at any one of them, the way a pulled cable
 * would.
 *
 * <p>Only paths under the watched root count, so a test can cut writes to the carrier while the
 * host's own work files go on. Configured from the environment so a child process can be cut:
 *
 * <ul>
 *   <li>{@code CARRYON_CUT_ROOT}: the folder whose writes are counted (unset: nothing counts)
 *   <li>{@code CARRYON_CUT_AT}: halt the JVM with exit code {@value #CUT_EXIT_CODE} just before
 *       this 1-based write point, without running shutdown hooks or flushing anything
 *   <li>{@code CARRYON_CUT_COUNT_FILE}: after every counted point, write the running count here,
 *       so a dry run tells the test how many points there are
 * </ul>
 */
public final class WritePoints {
  /** Exit code of a process halted by {@code CARRYON_CUT_AT}. */
  public static final int CUT_EXIT_CODE = 86;

  /** Write points reached under {@link #root} in this process. */
  private static final AtomicLong reached = new AtomicLong();
  /** Absolute, normalized folder whose writes are counted; null counts nothing. */
  private static volatile Path root = pathFromEnv("CARRYON_CUT_ROOT");
  /** 1-based point at which to halt; 0 never halts. */
  private static volatile long cutAt = longFromEnv("CARRYON_CUT_AT");
  /** Where the running count is written; null writes nothing. */
  private static volatile Path countFile = pathFromEnv("CARRYON_CUT_COUNT_FILE");

  private WritePoints() {}

  /**
   * Marks a point where {@code file} is about to change on stable storage. Halts the process here
   * when this is the configured cut point.
   *
   * @param file the file (or folder, for a rename or fsync of a directory) about to change
   * @param what a few words on the change, for diagnostics ("write L2 table", "rename manifest")
   */
  public static void reach(Path file, String what) {
    Path watched = root;
    if (watched == null || !file.toAbsolutePath().normalize().startsWith(watched)) {
      return;
    }
    long n = reached.incrementAndGet();
    Path counter = countFile;
    if (counter != null) {
      writeCount(counter, n);
    }
    if (n == cutAt) {
      System.err.println("carryon: cut at write point " + n + " (" + what + " " + file + ")");
      System.err.flush();
      Runtime.getRuntime().halt(CUT_EXIT_CODE);
    }
  }

  /** Number of write points reached under the watched root so far in this process. */
  public static long reached() {
    return reached.get();
  }

  /** For in-process tests: watch {@code folder} (null: nothing), reset the count, never cut. */
  public static void watch(Path folder) {
    root = folder == null ? null : folder.toAbsolutePath().normalize();
    cutAt = 0;
    countFile = null;
    reached.set(0);
  }

  private static void writeCount(Path counter, long n) {
    try {
      // Not forced: the count only has to outlive a halt of this process, not of the machine.
      Files.write(
          counter,
          Long.toString(n).getBytes(StandardCharsets.UTF_8),
          StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the write-point count to " + counter, e);
    }
  }

  private static Path pathFromEnv(String name) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? null : Paths.get(value).toAbsolutePath().normalize();
  }

  private static long longFromEnv(String name) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " (" + value + ") must be a whole number", e);
    }
  }
}
