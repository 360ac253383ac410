package dev.carryon.launcher.session;

import dev.carryon.testdata.fuzz.FuzzChecks;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hibernation state's framing under a short seeded fuzzing run (bench/fuzz runs it long). */
class StateFileFuzzTest {
  @TempDir Path dir;

  @Test
  void smokeRun() throws Exception {
    FuzzChecks.smoke(new StateFileFuzzTarget(), dir, 300);
  }
}
