package dev.carryon.cow;

import dev.carryon.testdata.fuzz.FuzzChecks;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The qcow2 reader and the merge under a short seeded fuzzing run (bench/fuzz runs them long). */
class Qcow2FuzzTest {
  @TempDir Path dir;

  @Test
  void readerSmokeRun() throws Exception {
    FuzzChecks.smoke(new Qcow2FuzzTarget(), dir, 400);
  }

  @Test
  void mergeSmokeRun() throws Exception {
    FuzzChecks.smoke(new MergeFuzzTarget(), dir, 300);
  }
}
