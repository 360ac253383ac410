package dev.carryon.testdata.fuzz;

import dev.carryon.testdata.FileTrees;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * {@code bench/fuzz}: fuzzes every target registered on the class path (or the ones named) and
 * prints, per target, the inputs tried, the distinct failures (kind, exception type and the frame
 * it came from) and the time; each failure's input is minimised and saved; the last line is JSON.
 * Exit code 0 when nothing failed, 1 when something did, 2 for a bad command line.
 */
public final class FuzzMain {
  private static final String USAGE =
      "usage: bench/fuzz [TARGET...] [--inputs N] [--seconds S] [--seed N] [--save DIR] [--list]\n"
          + "       bench/fuzz TARGET --replay FILE [--save DIR]";

  private FuzzMain() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(args, System.out));
  }

  static int run(String[] args, PrintStream out) throws Exception {
    long inputs = 10_000;
    Duration time = null;
    long seed = System.nanoTime();
    Path save = Path.of(System.getProperty("java.io.tmpdir"), "carryon-fuzz-findings");
    boolean list = false;
    Path replay = null;
    List<String> names = new ArrayList<>();
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--inputs" -> inputs = Long.parseLong(args[++i]);
          case "--seconds" -> time = Duration.ofMillis((long) (Double.parseDouble(args[++i]) * 1000));
          case "--seed" -> seed = Long.parseLong(args[++i]);
          case "--save" -> save = Path.of(args[++i]);
          case "--list" -> list = true;
          case "--replay" -> replay = Path.of(args[++i]);
          case "-h", "--help" -> {
            out.println(USAGE);
            out.println("Fuzzes each parser of carrier data (default: all, 10000 inputs each); see README.md, Fuzzing.");
            return 0;
          }
          default -> {
            if (args[i].startsWith("-")) {
              throw new IllegalArgumentException("unknown option " + args[i]);
            }
            names.add(args[i]);
          }
        }
      }
    } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
      System.err.println("bench/fuzz: " + (e instanceof ArrayIndexOutOfBoundsException ? "an option lacks its value" : e.getMessage()));
      System.err.println(USAGE);
      return 2;
    }
    Map<String, FuzzTarget> targets = new LinkedHashMap<>();
    for (FuzzTarget t : ServiceLoader.load(FuzzTarget.class)) {
      targets.put(t.name(), t);
    }
    if (list) {
      targets.keySet().forEach(out::println);
      return 0;
    }
    for (String n : names) {
      if (!targets.containsKey(n)) {
        System.err.println("bench/fuzz: no target '" + n + "' (known: " + String.join(", ", targets.keySet()) + ")");
        return 2;
      }
    }
    if (replay != null) {
      if (names.size() != 1) {
        System.err.println("bench/fuzz: --replay needs exactly one target");
        return 2;
      }
      return replay(targets.get(names.get(0)), replay, save, out);
    }
    List<String> chosen = names.isEmpty() ? new ArrayList<>(targets.keySet()) : names;
    StringBuilder json = new StringBuilder("{\"targets\":[");
    long totalInputs = 0;
    long totalFailures = 0;
    double totalSeconds = 0;
    for (String n : chosen) {
      FuzzTarget target = targets.get(n);
      Path work = Files.createTempDirectory("carryon-fuzz-" + n + "-");
      try {
        FuzzReport r = Fuzzer.run(target, new Fuzzer.Options(seed, inputs, time, Fuzzer.Options.HANG_LIMIT), work);
        out.print(r.text(false));
        int k = 0;
        for (FuzzReport.Failure f : r.failures()) {
          FuzzInput small = Fuzzer.minimize(target, f, work.resolve("minimize"), Duration.ofSeconds(60));
          Path saved = save(small, save.resolve(n), f.outcome().kind().name().toLowerCase(Locale.ROOT) + "-" + ++k);
          out.println("  saved (minimised to " + small.size() + " bytes): " + saved);
          out.println("  " + f.describe().replace("\n", "\n  "));
        }
        json.append(totalInputs == 0 ? "" : ",").append(r.json());
        totalInputs += r.inputs();
        totalFailures += r.failures().size();
        totalSeconds += r.time().toNanos() / 1e9;
      } finally {
        FileTrees.deleteTree(work);
      }
    }
    json.append(String.format(Locale.ROOT, "],\"inputs\":%d,\"failures\":%d,\"seconds\":%.2f,\"seed\":%d}",
        totalInputs, totalFailures, totalSeconds, seed));
    out.println(json);
    return totalFailures == 0 ? 0 : 1;
  }

  /**
   * Runs one saved input (a regression file, a finding) on {@code target} and prints its outcome;
   * minimises it keeping that outcome and saves the result: how regression files are made small.
   */
  private static int replay(FuzzTarget target, Path file, Path save, PrintStream out) throws Exception {
    Path work = Files.createTempDirectory("carryon-fuzz-replay-");
    try {
      List<Seed> seeds = target.seeds(Files.createDirectories(work.resolve("seeds")));
      FuzzInput in = FuzzInput.read(file);
      FuzzInput seed = seeds.get(0).input();
      if (!Files.isDirectory(file) && seed.files().size() == 1) {
        in = FuzzInput.of(seed.files().firstKey(), in.files().firstEntry().getValue()); // the target's file name
      }
      Outcome o = Fuzzer.runOnce(target, in, work.resolve("run"));
      out.println(o.kind() + ": " + o.signature() + "\n  " + o.detail());
      FuzzReport.Failure f = new FuzzReport.Failure(o, in);
      FuzzInput small = Fuzzer.minimize(target, f, work.resolve("minimize"), Duration.ofSeconds(120));
      Path saved = save(small, save.resolve(target.name()), "replay");
      out.println("minimised to " + small.size() + " bytes, same outcome: " + saved);
      return o.isFailure() ? 1 : 0;
    } finally {
      FileTrees.deleteTree(work);
    }
  }

  private static Path save(FuzzInput input, Path dir, String prefix) throws Exception {
    Files.createDirectories(dir);
    String name = input.files().size() == 1 ? "-" + input.files().firstKey().replace('/', '_') : "";
    return input.save(dir.resolve(prefix + "-" + input.digest() + name), input.size() > 64 << 10);
  }
}
