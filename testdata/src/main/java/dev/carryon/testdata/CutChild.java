package dev.carryon.testdata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

/**
 * Runs a main class in a child JVM on this test's class path, cut by cow-merge's {@code
 * WritePoints} at one write point under a folder ({@code CARRYON_CUT_ROOT}, {@code CARRYON_CUT_AT}):
 * the process halts there as a pulled cable would stop it.
 */
public final class CutChild {
  private CutChild() {}

  /**
   * What the child did.
   *
   * @param exit its exit code (WritePoints' cut code when it was cut)
   * @param log what it printed
   */
  public record Result(int exit, String log) {}

  /** Runs {@code main} with {@code args}, cut at write point {@code cutAt} under {@code root}. */
  public static Result run(Class<?> main, Path root, long cutAt, String... args)
      throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>(List.of(java.toString(), "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC", "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
        main.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("CARRYON_CUT_COUNT_FILE");
    pb.environment().put("CARRYON_CUT_ROOT", root.toString());
    pb.environment().put("CARRYON_CUT_AT", Long.toString(cutAt));
    Path log = Files.createTempFile("cut-child", ".log");
    try {
      pb.redirectOutput(log.toFile());
      int exit = pb.start().waitFor();
      return new Result(exit, Files.readString(log));
    } finally {
      Files.delete(log);
    }
  }

  /** Every point 1..{@code points} when there are at most {@code max}, else {@code max} spread. */
  public static long[] points(long points, int max) {
    if (points <= max) {
      return LongStream.rangeClosed(1, points).toArray();
    }
    return LongStream.range(0, max).map(i -> 1 + i * (points - 1) / (max - 1)).distinct()
        .toArray();
  }
}
