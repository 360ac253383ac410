package dev.carryon.carrier;

/**
 * One carrier file that does not match the manifest.
 *
 * @param file carrier name of the file
 * @param problem what is wrong, e.g. {@code does not exist} or {@code size 4096 recorded, 100
 *     found}
 */
public record FileProblem(String file, String problem) {
  @Override
  public String toString() {
    return file + ": " + problem;
  }
}
