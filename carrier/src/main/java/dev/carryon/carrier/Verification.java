package dev.carryon.carrier;

import java.util.List;

/**
 * What {@link Carrier#verify} found.
 *
 * @param problems files that do not match the manifest, are damaged or do not link as the manifest
 *     says: a carrier with any is not resumed
 * @param warnings harmless findings, e.g. clusters a cut merge leaked in the COW (allocated and
 *     counted, but used by nothing)
 */
public record Verification(List<FileProblem> problems, List<FileProblem> warnings) {
  public Verification {
    problems = List.copyOf(problems);
    warnings = List.copyOf(warnings);
  }

  /** True when nothing is wrong (warnings aside). */
  public boolean passed() {
    return problems.isEmpty();
  }
}
