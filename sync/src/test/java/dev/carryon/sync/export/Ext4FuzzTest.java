package dev.carryon.sync.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.sync.ext4.Ext4Exception;
import dev.carryon.testdata.fuzz.FuzzChecks;
import dev.carryon.testdata.fuzz.FuzzInput;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ext4 reader and the export under a short seeded fuzzing run (bench/fuzz runs it long), and
 * every damaged filesystem found so far (src/test/resources/fuzz/ext4: mke2fs images, damaged as
 * the fuzzer did) refused as corrupt with its own message.
 */
class Ext4FuzzTest {
  private static final String REGRESSIONS = "/fuzz/ext4";

  /** What the message says after the image's name, for each regression input. */
  private static final Map<String, String> REFUSED = Map.of(
      // The slow symlink /slow with a NUL in its target: once an IOException from the host side.
      "symlink-target-with-nul.img.gz",
      "symbolic link inode 16 has a NUL byte in its target 'dir/./././\\0/./",
      // /dir's entry "sub" names the root: once a plain IOException (exit 1).
      "directory-loop.img.gz", "/dir/sub (inode 2) contains itself: the directory tree loops",
      // debugfs linked /dir/sub as /again too: each extra name once meant a whole extra copy.
      "directory-twice.img.gz",
      "/again (inode 13) is a directory already exported under another name: the directory tree is damaged",
      // Found by bench/fuzz: /hello.txt's size near 2^62; the export read zeros without end.
      "file-size-past-what-blocks-address.img.gz",
      "inode 19 has size 4611686022722355206, more than its 4096-byte blocks can address (4402345721856)",
      // Found by bench/fuzz: a hashed directory with one name twice; the export met its own file in
      // the way and advised --replace (FileAlreadyExistsException).
      "two-entries-of-one-name.img.gz", "directory inode 12 has two entries named 'entry-with-a-longish-name-14'");

  @TempDir Path dir;

  @Test
  void smokeRun() throws Exception {
    FuzzChecks.smoke(new Ext4FuzzTarget(), dir, 200);
  }

  static Iterable<String> refused() {
    return new TreeSet<>(REFUSED.keySet());
  }

  @ParameterizedTest
  @MethodSource("refused")
  void regressionIsRefusedAsCorrupt(String name) throws Exception {
    FuzzInput in = FuzzChecks.regression(getClass(), REGRESSIONS, name, Ext4FuzzTarget.FILE);
    Throwable t = FuzzChecks.refusal(new Ext4FuzzTarget(), in, dir);
    assertEquals(Ext4Exception.Kind.CORRUPT, ((Ext4Exception) t).kind(), t.getMessage());
    assertTrue(t.getMessage().contains(Ext4FuzzTarget.FILE + ": " + REFUSED.get(name)), t.getMessage());
  }

  @Test
  void everyRegressionFileIsAsserted() throws Exception {
    assertEquals(new TreeSet<>(REFUSED.keySet()), new TreeSet<>(FuzzChecks.regressions(getClass(), REGRESSIONS)));
  }
}
