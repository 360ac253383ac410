package dev.carryon.cow;

import java.nio.file.Path;

/**
 * Runs one merge in a child JVM, for the crash test: {@code MergeMain TOP TARGET [SECRET]}; an
 * empty or absent SECRET merges plain images, else every image is unlocked with it.
 */
public final class MergeMain {
  private MergeMain() {}

  public static void main(String[] args) throws Exception {
    ImageSecrets secrets = args.length > 2 && !args[2].isEmpty()
        ? ImageSecrets.of(args[2].getBytes(java.nio.charset.StandardCharsets.UTF_8))
        : ImageSecrets.NONE;
    Merger.merge(Path.of(args[0]), Path.of(args[1]), secrets, ProgressListener.NONE);
  }
}
