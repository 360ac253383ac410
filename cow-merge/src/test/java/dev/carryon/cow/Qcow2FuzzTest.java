package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.testdata.fuzz.FuzzChecks;
import dev.carryon.testdata.fuzz.FuzzInput;
import dev.carryon.testdata.fuzz.Fuzzer;
import dev.carryon.testdata.fuzz.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The qcow2 reader and the merge under a short seeded fuzzing run (bench/fuzz runs them long),
 * and every input an earlier run found (src/test/resources/fuzz/qcow2) refused with its own error.
 */
class Qcow2FuzzTest {
  /** Where the regression inputs are, on the test class path. */
  private static final String REGRESSIONS = "/fuzz/qcow2";

  /** Each regression input that is refused: the exception type and what its message must say. */
  private static final Map<String, Expected> REFUSED = Map.of(
      "backing-name-offset-wraps.qcow2",
      new Expected(ImageFormatException.class, "backing file name (offset 9223372036854775807, 12 bytes) lies outside"
          + " the header cluster"),
      "virtual-size-near-2p63.qcow2",
      new Expected(ImageFormatException.class, "L1 table (0 entries) is too small for the virtual size"
          + " 9223372036854775807 (needs 4398046511104)"),
      "l1-entries-share-an-l2-table.qcow2",
      new Expected(ImageFormatException.class, "L1 entries 0 and 1 both point at the L2 table at offset 2048"),
      "nb-snapshots-too-large.qcow2",
      new Expected(ImageFormatException.class, "nb_snapshots (65537) is out of range (at most 65536)"));

  /**
   * Regression inputs that open but are damaged: the one problem {@link Checker#check} must report
   * (quickly: each once made it hang or fail).
   */
  private static final Map<String, String> CHECKED = Map.of(
      // Refcount table entry 5617 (64 KiB clusters) points into the file: check once walked all 184
      // million cluster indexes below it.
      "refcount-block-far-out.qcow2.gz", "ERROR cluster 4 refcount=1 reference=2",
      // qemu-img's snapshot entry with extra_data_size 0xffffffff: the walk once read past the end.
      "snapshot-extra-data-too-large.qcow2", "ERROR snapshot 0 has 4294967295 bytes of extra data (at most 1024)");

  /** An error a regression input must be refused with. */
  record Expected(Class<? extends ImageException> type, String message) {}

  @TempDir Path dir;

  @Test
  void readerSmokeRun() throws Exception {
    FuzzChecks.smoke(new Qcow2FuzzTarget(), dir, 400);
  }

  @Test
  void mergeSmokeRun() throws Exception {
    FuzzChecks.smoke(new MergeFuzzTarget(), dir, 300);
  }

  static Iterable<String> refused() {
    return new TreeSet<>(REFUSED.keySet());
  }

  @ParameterizedTest
  @MethodSource("refused")
  void regressionIsRefused(String name) throws Exception {
    Expected e = REFUSED.get(name);
    FuzzInput in = FuzzChecks.regression(getClass(), REGRESSIONS, name, Qcow2FuzzTarget.FILE);
    Throwable t = FuzzChecks.refusal(new Qcow2FuzzTarget(), in, dir);
    assertEquals(e.type(), t.getClass(), t.toString());
    assertTrue(t.getMessage().endsWith("image.qcow2: " + e.message()), t.getMessage());
  }

  static Iterable<String> checked() {
    return new TreeSet<>(CHECKED.keySet());
  }

  @ParameterizedTest
  @MethodSource("checked")
  void regressionIsChecked(String name) throws Exception {
    FuzzInput in = FuzzChecks.regression(getClass(), REGRESSIONS, name, Qcow2FuzzTarget.FILE);
    Outcome o = Fuzzer.runOnce(new Qcow2FuzzTarget(), in, dir.resolve("run"));
    assertEquals(Outcome.Kind.PASSED, o.kind(), o.detail());
    Path image = Files.write(dir.resolve("image.qcow2"), in.get(Qcow2FuzzTarget.FILE));
    CheckReport r = Checker.check(image);
    assertEquals(1, r.corruptions() + r.checkErrors(), r.messages().toString());
    assertEquals(CHECKED.get(name), r.messages().get(0));
  }

  @Test
  void everyRegressionFileIsAsserted() throws Exception {
    TreeSet<String> asserted = new TreeSet<>(REFUSED.keySet());
    asserted.addAll(CHECKED.keySet());
    assertEquals(asserted, new TreeSet<>(FuzzChecks.regressions(getClass(), REGRESSIONS)));
  }
}
