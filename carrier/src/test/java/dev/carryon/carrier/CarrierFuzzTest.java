package dev.carryon.carrier;

import dev.carryon.testdata.fuzz.FuzzChecks;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest and whole carriers under a short seeded fuzzing run (bench/fuzz runs them long). */
class CarrierFuzzTest {
  @TempDir Path dir;

  @Test
  void manifestSmokeRun() throws Exception {
    FuzzChecks.smoke(new ManifestFuzzTarget(), dir, 400);
  }

  @Test
  void carrierSmokeRun() throws Exception {
    FuzzChecks.smoke(new CarrierFuzzTarget(), dir, 150);
  }
}
