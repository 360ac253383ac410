package dev.carryon.testdata;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Whether a file is locked, as another process finds it: a POSIX record lock is its process's, so
 * only a process of its own can tell a lock this test's JVM holds (and closing any channel of the
 * file in the holder would drop it).
 */
public final class LockProbe {
  private LockProbe() {}

  /** True when another process holds a lock on {@code file}; false when it could take one. */
  public static boolean lockedByAnother(Path file) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LockProbe.class.getName(),
                file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    if (p.waitFor() != 0 || !(out.equals("held") || out.equals("free"))) {
      throw new IOException("the lock probe of " + file + " failed: " + out);
    }
    return out.equals("held");
  }

  /** Run in a process of its own: prints whether {@code args[0]} is locked. */
  public static void main(String[] args) throws IOException {
    try (FileChannel ch =
        FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      FileLock lock = ch.tryLock();
      System.out.println(lock == null ? "held" : "free");
    }
  }
}
