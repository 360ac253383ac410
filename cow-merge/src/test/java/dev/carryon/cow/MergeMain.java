package dev.carryon.cow;

import java.nio.file.Path;

/** Runs one merge in a child JVM, for the crash test: {@code MergeMain TOP TARGET}. */
public final class MergeMain {
  private MergeMain() {}

  public static void main(String[] args) throws Exception {
    Merger.merge(Path.of(args[0]), Path.of(args[1]), ProgressListener.NONE);
  }
}
