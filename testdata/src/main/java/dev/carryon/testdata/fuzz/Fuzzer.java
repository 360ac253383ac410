package dev.carryon.testdata.fuzz;

import dev.carryon.testdata.FileTrees;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Runs a {@link FuzzTarget}: every seed once as it is (it must be read through), then mutations of
 * the corpus until the input count or the time is used up. The corpus starts as the seeds and
 * grows by each input that reached a refusal from a place not seen before (or, now and then, that
 * was read through), so mutations stack on inputs that got past a check.
 *
 * <p>Each input runs on one worker thread, watched for the hang limit and for the heap it
 * allocates; the input's files are compared afterwards to catch any write to them. After a hang
 * the target stops: the stuck thread cannot be ended safely.
 */
public final class Fuzzer {
  /**
   * How long and how hard to fuzz.
   *
   * @param seed of the random choices; the same seed repeats the same inputs
   * @param inputs mutated inputs to try (the seeds come on top)
   * @param time stop earlier once this much time has passed; null for no limit
   * @param hangLimit longer runs of one input are hangs
   */
  public record Options(long seed, long inputs, Duration time, Duration hangLimit) {
    /** The goal's limit: no input may take longer than this. */
    public static final Duration HANG_LIMIT = Duration.ofSeconds(5);

    public Options {
      if (inputs < 0) {
        throw new IllegalArgumentException("inputs (" + inputs + ") must not be negative");
      }
    }
  }

  /** Corpus entries beyond the seeds are dropped at random once they hold more bytes than this. */
  private static final long CORPUS_BYTES = 256L << 20;

  private final FuzzTarget target;
  private final Options options;
  /** Scratch folder; each input is written under it and deleted after its run. */
  private final Path work;
  private final Random random;
  private final com.sun.management.ThreadMXBean threads = threadBean();
  /** The worker's thread, for the stack of a hang. */
  private volatile Thread workerThread;
  private ExecutorService worker;
  /** Set after a hang: the worker thread is stuck and nothing more runs. */
  private boolean stuck;
  private long runs;

  private Fuzzer(FuzzTarget target, Options options, Path work) {
    this.target = target;
    this.options = options;
    this.work = work;
    this.random = new Random(options.seed());
    this.worker = newWorker();
  }

  /** Fuzzes {@code target}; {@code work} is an empty scratch folder. */
  public static FuzzReport run(FuzzTarget target, Options options, Path work) throws Exception {
    Fuzzer f = new Fuzzer(target, options, work);
    try {
      return f.fuzz();
    } finally {
      f.worker.shutdownNow();
    }
  }

  /**
   * Runs {@code target} once on {@code input}, as a fuzzing run would: for regression tests and
   * for minimising.
   */
  public static Outcome runOnce(FuzzTarget target, FuzzInput input, Path work) throws Exception {
    Fuzzer f = new Fuzzer(target, new Options(0, 0, null, Options.HANG_LIMIT), work);
    try {
      return f.execute(input);
    } finally {
      f.worker.shutdownNow();
    }
  }

  /**
   * The smallest input found within {@code budget} that fails like {@code failure} (same
   * signature); hangs are returned as they are, since each try could take the hang limit.
   */
  public static FuzzInput minimize(FuzzTarget target, FuzzReport.Failure failure, Path work, Duration budget)
      throws Exception {
    if (failure.outcome().kind() == Outcome.Kind.HANG) {
      return failure.input();
    }
    Fuzzer f = new Fuzzer(target, new Options(0, 0, null, Options.HANG_LIMIT), work);
    try {
      return new Minimizer(f, failure.outcome().signature(), budget).minimize(failure.input());
    } finally {
      f.worker.shutdownNow();
    }
  }

  boolean isStuck() {
    return stuck;
  }

  private FuzzReport fuzz() throws Exception {
    long start = System.nanoTime();
    List<Seed> seeds = target.seeds(Files.createDirectories(work.resolve("seeds")));
    if (seeds.isEmpty()) {
      throw new IllegalStateException(target.name() + ": made no seed");
    }
    FuzzReport report = new FuzzReport(target.name(), options.seed());
    Mutator mutator = new Mutator(random, seeds);
    List<Entry> corpus = new ArrayList<>();
    Set<String> sites = new HashSet<>();
    for (Seed s : seeds) {
      Outcome o = execute(s.input());
      if (o.kind() != Outcome.Kind.PASSED && !o.isFailure()) {
        o = new Outcome(Outcome.Kind.SEED_REFUSED, "seed refused: " + o.signature(),
            "seed '" + s.name() + "' refused: " + o.detail(), o.error(), o.allocatedBytes());
      }
      report.add(o, s.input());
      corpus.add(new Entry(s.input(), s.fields(), true));
      if (stuck) {
        return report.finish(elapsed(start), true);
      }
    }
    long corpusBytes = 0;
    for (long i = 0; i < options.inputs(); i++) {
      if (options.time() != null && elapsed(start).compareTo(options.time()) > 0) {
        break;
      }
      Entry parent = corpus.get(random.nextInt(corpus.size()));
      FuzzInput child = target.mutate(parent.input, parent.fields, mutator);
      Outcome o = execute(child);
      report.add(o, child);
      if (stuck) {
        return report.finish(elapsed(start), true);
      }
      boolean novel = !o.isFailure() && sites.add(o.kind() + " " + o.signature());
      if (novel || (o.kind() == Outcome.Kind.PASSED && random.nextInt(8) == 0)) {
        corpus.add(new Entry(child, parent.fields, false));
        corpusBytes += child.size();
        while (corpusBytes > CORPUS_BYTES) {
          int victim = random.nextInt(corpus.size());
          if (!corpus.get(victim).seed) {
            corpusBytes -= corpus.remove(victim).input.size();
          }
        }
      }
    }
    return report.finish(elapsed(start), false);
  }

  /** One input of the corpus and the fields of the seed it descends from. */
  private record Entry(FuzzInput input, List<Field> fields, boolean seed) {}

  /** Runs the target on {@code input} in a fresh folder and judges what happened. */
  Outcome execute(FuzzInput input) throws Exception {
    long n = runs++;
    Path in = work.resolve("run-" + n).resolve("in");
    Path scratch = work.resolve("run-" + n).resolve("scratch");
    Files.createDirectories(in);
    Files.createDirectories(scratch);
    input.writeTo(in);
    Map<Path, FileTime> times = modificationTimes(in);
    Future<Outcome> run = worker.submit(() -> attempt(in, scratch));
    Outcome o;
    try {
      o = run.get(options.hangLimit().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      o = hang(run);
      if (stuck) {
        return o; // the folder stays: the stuck thread may still read it
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("the fuzz worker failed outside the target", e.getCause());
    }
    if (!o.isFailure()) {
      String change = changes(input, in, times);
      if (change != null) {
        o = new Outcome(Outcome.Kind.WROTE_INPUT, "wrote input: " + o.signature(), change + " (outcome: " + o.detail() + ")",
            o.error(), o.allocatedBytes());
      } else if (o.allocatedBytes() > target.allocationLimit(input.size())) {
        o = new Outcome(Outcome.Kind.ALLOCATION, "allocation: " + o.kind() + " " + o.signature(),
            "allocated " + (o.allocatedBytes() >> 20) + " MiB for an input of " + input.size() + " bytes (outcome: "
                + o.detail() + ")", o.error(), o.allocatedBytes());
      }
    }
    FileTrees.deleteTree(work.resolve("run-" + n));
    return o;
  }

  /** Runs the target on the worker thread, catching everything it throws. */
  private Outcome attempt(Path in, Path scratch) {
    long before = allocated();
    Throwable error = null;
    try {
      target.run(in, scratch);
    } catch (Throwable t) { // everything: an Error is a finding too
      error = t;
    }
    long bytes = before < 0 ? -1 : allocated() - before;
    if (error == null) {
      return new Outcome(Outcome.Kind.PASSED, "passed", "read through", null, bytes);
    }
    String origin = Outcome.origin(error.getStackTrace());
    String type = error.getClass().getName();
    String problem;
    try {
      problem = target.unexpected(error, in);
    } catch (RuntimeException e) {
      problem = "the judge failed: " + e;
    }
    if (problem == null) {
      return new Outcome(Outcome.Kind.REFUSED, error.getClass().getSimpleName() + " at " + origin,
          String.valueOf(error.getMessage()), error, bytes);
    }
    return new Outcome(Outcome.Kind.UNEXPECTED_ERROR, type + " at " + origin,
        problem + ": " + error, error, bytes);
  }

  /** A run past the hang limit: interrupted; if it does not end within a second, the target stops. */
  private Outcome hang(Future<Outcome> run) throws InterruptedException {
    Thread t = workerThread;
    StackTraceElement[] stack = t == null ? new StackTraceElement[0] : t.getStackTrace();
    run.cancel(true);
    worker.shutdownNow();
    if (!worker.awaitTermination(1, TimeUnit.SECONDS)) {
      stuck = true;
    } else {
      worker = newWorker();
    }
    Throwable where = new Throwable("still running after " + options.hangLimit().toSeconds() + " s");
    where.setStackTrace(stack);
    return new Outcome(Outcome.Kind.HANG, "hang at " + Outcome.origin(stack),
        "took longer than " + options.hangLimit().toMillis() + " ms" + (stuck ? "; the target is stopped" : ""),
        where, -1);
  }

  /** What changed in the input folder during a run, or null when nothing did. */
  private static String changes(FuzzInput input, Path in, Map<Path, FileTime> before) throws IOException {
    if (!input.matches(in)) {
      return "the input's files were changed, or files were added to or removed from its folder";
    }
    Map<Path, FileTime> after = modificationTimes(in);
    return after.equals(before) ? null : "an input file's modification time changed (it was written)";
  }

  private static Map<Path, FileTime> modificationTimes(Path dir) throws IOException {
    Map<Path, FileTime> times = new HashMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        times.put(p, Files.getLastModifiedTime(p));
      }
    }
    return times;
  }

  private ExecutorService newWorker() {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fuzz-" + target.name());
      t.setDaemon(true); // a stuck run must not keep the JVM alive
      workerThread = t;
      return t;
    });
  }

  private long allocated() {
    return threads == null ? -1 : threads.getCurrentThreadAllocatedBytes();
  }

  private static com.sun.management.ThreadMXBean threadBean() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean b
        && b.isThreadAllocatedMemorySupported()) {
      b.setThreadAllocatedMemoryEnabled(true);
      return b;
    }
    return null;
  }

  private static Duration elapsed(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
