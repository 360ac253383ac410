package dev.carryon.testdata.fuzz;

import java.nio.file.Path;
import java.util.List;

/**
 * One parser of carrier data under fuzzing: how to make valid seeds with the real tools, how to
 * run the code under test on an input, and which errors are the documented, clean refusals.
 *
 * <p>{@link Fuzzer} materialises each input as files in a fresh folder, runs {@link #run} there on
 * a watched thread, and counts as a failure anything but success or a clean refusal: another
 * exception, a run longer than the hang limit, an allocation out of proportion to the input, or a
 * change to the input's files (the carrier is only read).
 *
 * <p>Implementations are registered as services (META-INF/services) of the test classes of the
 * module whose parser they fuzz, so that {@code bench/fuzz} finds them all.
 */
public interface FuzzTarget {
  /** Short name, used on the command line and in reports ("qcow2", "manifest"). */
  String name();

  /** Valid inputs made with the real tools, in the scratch folder {@code work}. */
  List<Seed> seeds(Path work) throws Exception;

  /**
   * Runs the code under test on the input whose files are in {@code input}, which it must only
   * read; {@code scratch} is an empty folder for whatever it writes (a merge target, an export).
   */
  void run(Path input, Path scratch) throws Exception;

  /**
   * Null when {@code error} is the documented refusal of a bad input in {@code input} (its type,
   * and a message naming the file); else what is wrong with it, in a few words.
   */
  String unexpected(Throwable error, Path input);

  /** A mutation of {@code in}, whose seed's fields are {@code fields}; by default {@code m}'s own. */
  default FuzzInput mutate(FuzzInput in, List<Field> fields, Mutator m) {
    return m.mutate(in, fields);
  }

  /** Bytes the target may allocate for an input of {@code inputBytes} before that is a finding. */
  default long allocationLimit(long inputBytes) {
    return Math.max(64L << 20, 64 * inputBytes);
  }
}
