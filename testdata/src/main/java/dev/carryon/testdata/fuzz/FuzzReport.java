package dev.carryon.testdata.fuzz;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** What a fuzzing run of one target found: counts, clean refusals by type, distinct failures. */
public final class FuzzReport {
  /** One distinct failure: every input whose outcome had this signature. */
  public static final class Failure {
    private final Outcome first;
    private final FuzzInput input;
    private long count;

    Failure(Outcome first, FuzzInput input) {
      this.first = first;
      this.input = input;
    }

    /** The first outcome with this signature. */
    public Outcome outcome() {
      return first;
    }

    /** The input that gave {@link #outcome()}. */
    public FuzzInput input() {
      return input;
    }

    /** Inputs that failed this way. */
    public long count() {
      return count;
    }

    /** The signature, the detail and the stack of the first error. */
    public String describe() {
      StringWriter s = new StringWriter();
      s.append(first.kind().toString()).append(" x").append(Long.toString(count)).append(": ")
          .append(first.signature()).append("\n    ").append(first.detail())
          .append("\n    input: ").append(input.toString()).append(" [").append(input.digest()).append("]\n");
      if (first.error() != null) {
        first.error().printStackTrace(new PrintWriter(s));
      }
      return s.toString();
    }
  }

  private final String target;
  private final long seed;
  private long inputs;
  private long passed;
  private long refused;
  /** Clean refusals by exception type. */
  private final Map<String, Long> refusals = new TreeMap<>();
  /** Distinct places clean refusals came from (type and throwing frame). */
  private final Set<String> refusalSites = new HashSet<>();
  /** Failures by signature, in the order found. */
  private final Map<String, Failure> failures = new LinkedHashMap<>();
  private Duration time = Duration.ZERO;
  /** Whether the run stopped early after a hang. */
  private boolean stopped;

  FuzzReport(String target, long seed) {
    this.target = target;
    this.seed = seed;
  }

  void add(Outcome o, FuzzInput input) {
    inputs++;
    switch (o.kind()) {
      case PASSED -> passed++;
      case REFUSED -> {
        refused++;
        refusals.merge(o.error().getClass().getSimpleName(), 1L, Long::sum);
        refusalSites.add(o.signature());
      }
      default -> failures.computeIfAbsent(o.signature(), k -> new Failure(o, input)).count++;
    }
  }

  FuzzReport finish(Duration elapsed, boolean stoppedByHang) {
    this.time = elapsed;
    this.stopped = stoppedByHang;
    return this;
  }

  public String target() {
    return target;
  }

  /** Inputs run, seeds included. */
  public long inputs() {
    return inputs;
  }

  /** Inputs read through without an error. */
  public long passed() {
    return passed;
  }

  /** Inputs refused with the documented error. */
  public long refused() {
    return refused;
  }

  /** Clean refusals by exception type. */
  public Map<String, Long> refusals() {
    return refusals;
  }

  public List<Failure> failures() {
    return new ArrayList<>(failures.values());
  }

  public Duration time() {
    return time;
  }

  public boolean stoppedByHang() {
    return stopped;
  }

  /** A few lines for people: counts, refusals by type, then each failure with its first stack. */
  public String text(boolean stacks) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "%s: %d inputs in %.1f s (%.0f/s, seed %d): %d read through, %d refused cleanly, %d distinct failures%s%n",
        target, inputs, seconds(), inputs / Math.max(seconds(), 1e-3), seed, passed, refused, failures.size(),
        stopped ? " (stopped after a hang)" : ""));
    if (!refusals.isEmpty()) {
      s.append("  refusals from ").append(refusalSites.size()).append(" distinct places: ");
      refusals.forEach((type, n) -> s.append(type).append(' ').append(n).append("  "));
      s.append('\n');
    }
    for (Failure f : failures.values()) {
      if (stacks) {
        s.append("  ").append(f.describe().replace("\n", "\n  ")).append('\n');
      } else {
        s.append("  ").append(f.first.kind()).append(" x").append(f.count).append(": ").append(f.first.signature()).append('\n');
      }
    }
    return s.toString();
  }

  /** One JSON object: target, inputs, counts, failures (signature and count), seconds. */
  public String json() {
    StringBuilder s = new StringBuilder();
    s.append("{\"target\":\"").append(escape(target)).append("\",\"inputs\":").append(inputs)
        .append(",\"passed\":").append(passed).append(",\"refused\":").append(refused)
        .append(",\"refusalSites\":").append(refusalSites.size())
        .append(",\"failures\":").append(failures.size()).append(",\"seconds\":")
        .append(String.format(Locale.ROOT, "%.2f", seconds())).append(",\"seed\":").append(seed)
        .append(",\"stoppedByHang\":").append(stopped).append(",\"distinct\":[");
    boolean first = true;
    for (Failure f : failures.values()) {
      s.append(first ? "" : ",").append("{\"kind\":\"").append(f.first.kind()).append("\",\"signature\":\"")
          .append(escape(f.first.signature())).append("\",\"count\":").append(f.count).append('}');
      first = false;
    }
    return s.append("]}").toString();
  }

  private double seconds() {
    return time.toNanos() / 1e9;
  }

  static String escape(String s) {
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
