package dev.carryon.testdata.fuzz;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Makes a failing input small while it keeps failing the same way (same signature): drops files,
 * cuts each file's tail, then zeroes ranges from large to small, so that a regression file is as
 * short, and compresses as well, as the failure allows. Stops when the time budget is spent.
 */
final class Minimizer {
  private final Fuzzer fuzzer;
  private final String signature;
  private final long deadline;

  Minimizer(Fuzzer fuzzer, String signature, Duration budget) {
    this.fuzzer = fuzzer;
    this.signature = signature;
    this.deadline = System.nanoTime() + budget.toNanos();
  }

  FuzzInput minimize(FuzzInput input) throws Exception {
    FuzzInput best = input;
    for (String name : new ArrayList<>(best.files().keySet())) {
      if (best.files().size() > 1 && inTime() && reproduces(best.without(name))) {
        best = best.without(name);
      }
    }
    List<String> bySize = new ArrayList<>(best.files().keySet());
    FuzzInput sized = best;
    bySize.sort(Comparator.comparingInt((String n) -> sized.get(n).length).reversed());
    for (String name : bySize) {
      best = cutTail(best, name);
      best = zeroRanges(best, name);
    }
    return best;
  }

  private FuzzInput cutTail(FuzzInput in, String name) throws Exception {
    byte[] b = in.get(name);
    for (int chunk = Integer.highestOneBit(Math.max(1, b.length)); chunk >= 1 && inTime(); chunk /= 2) {
      while (b.length >= chunk && inTime()) {
        byte[] shorter = Arrays.copyOf(b, b.length - chunk);
        if (!reproduces(in.with(name, shorter))) {
          break;
        }
        b = shorter;
        in = in.with(name, b);
      }
    }
    return in;
  }

  private FuzzInput zeroRanges(FuzzInput in, String name) throws Exception {
    byte[] b = in.get(name).clone();
    for (int chunk = Integer.highestOneBit(Math.max(1, b.length)); chunk >= 8 && inTime(); chunk /= 2) {
      for (int at = 0; at < b.length && inTime(); at += chunk) {
        int end = Math.min(b.length, at + chunk);
        if (allZero(b, at, end)) {
          continue;
        }
        byte[] zeroed = b.clone();
        Arrays.fill(zeroed, at, end, (byte) 0);
        if (reproduces(in.with(name, zeroed))) {
          b = zeroed;
          in = in.with(name, b);
        }
      }
    }
    return in;
  }

  private boolean reproduces(FuzzInput candidate) throws Exception {
    return fuzzer.execute(candidate).signature().equals(signature);
  }

  private boolean inTime() {
    return System.nanoTime() < deadline && !fuzzer.isStuck();
  }

  private static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
