package dev.carryon.testdata.fuzz;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the test suites assert with the harness: a short seeded run of a target finds nothing, and
 * each regression file (a finding of an earlier run) is refused cleanly.
 */
public final class FuzzChecks {
  /** The smoke runs' fixed seed: CI repeats the same inputs every time. */
  public static final long SMOKE_SEED = 1;

  private FuzzChecks() {}

  /**
   * Fuzzes {@code target} with {@code inputs} inputs from {@link #SMOKE_SEED}; fails listing every
   * failure, or when no input was read through or none refused (the harness would be idle).
   */
  public static FuzzReport smoke(FuzzTarget target, Path work, long inputs) throws Exception {
    FuzzReport r = Fuzzer.run(target, new Fuzzer.Options(SMOKE_SEED, inputs, null, Fuzzer.Options.HANG_LIMIT), work);
    if (!r.failures().isEmpty() || r.passed() == 0 || r.refused() == 0 || r.inputs() < inputs) {
      throw new AssertionError("fuzzing " + target.name() + " found failures or did nothing:\n" + r.text(true));
    }
    return r;
  }

  /**
   * The error {@code target} refuses {@code input} with; fails unless the outcome is a clean
   * refusal.
   */
  public static Throwable refusal(FuzzTarget target, FuzzInput input, Path work) throws Exception {
    Outcome o = Fuzzer.runOnce(target, input, work);
    if (o.kind() != Outcome.Kind.REFUSED) {
      AssertionError e = new AssertionError(target.name() + " on " + input + ": expected a clean refusal, got "
          + o.kind() + ": " + o.signature() + "\n    " + o.detail());
      if (o.error() != null) {
        e.initCause(o.error());
      }
      throw e;
    }
    return o.error();
  }

  /**
   * A regression input kept as a test resource under {@code folder} (a class path folder such as
   * "/fuzz/qcow2") of {@code anchor}'s module: a single file is read as the target's one file
   * {@code singleName}, a folder as it is.
   */
  public static FuzzInput regression(Class<?> anchor, String folder, String name, String singleName) throws Exception {
    Path p = resource(anchor, folder).resolve(name);
    FuzzInput in = FuzzInput.read(p);
    return Files.isDirectory(p) ? in : FuzzInput.of(singleName, in.files().firstEntry().getValue());
  }

  /** The names of the regression inputs in {@code folder}, sorted, with any .gz suffix. */
  public static List<String> regressions(Class<?> anchor, String folder) throws Exception {
    try (Stream<Path> s = Files.list(resource(anchor, folder))) {
      return new ArrayList<>(s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  private static Path resource(Class<?> anchor, String folder) throws URISyntaxException {
    URL url = anchor.getResource(folder);
    if (url == null) {
      throw new AssertionError("no test resource folder " + folder + " beside " + anchor.getName());
    }
    return Path.of(url.toURI());
  }
}
