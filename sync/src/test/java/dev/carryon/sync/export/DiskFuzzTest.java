package dev.carryon.sync.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.carryon.testdata.fuzz.FuzzChecks;
import dev.carryon.testdata.fuzz.Seed;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The partition, LVM and volume readers under a short seeded fuzzing run (bench/fuzz runs them long). */
class DiskFuzzTest {
  @TempDir Path dir;

  @Test
  void smokeRun() throws Exception {
    FuzzChecks.smoke(new DiskFuzzTarget(), dir, 200);
  }

  /**
   * The harness's own GPT and LVM checksums agree with sfdisk's and LVM2's (else every mutation
   * would stop at a CRC), and a number of the LVM metadata text can be changed.
   */
  @Test
  void checksumsOfTheSeedsAreRecomputedAsTheToolsWroteThem() throws Exception {
    for (Seed s : new DiskFuzzTarget().seeds(dir)) {
      byte[] disk = s.input().get(DiskFuzzTarget.FILE);
      assertArrayEquals(disk, DiskFields.withChecksums(disk), s.name());
      if (s.name().contains("LVM")) {
        assertFalse(Arrays.equals(disk, DiskFields.mutateMetadataText(disk, new Random(1))), s.name());
      }
    }
  }
}
