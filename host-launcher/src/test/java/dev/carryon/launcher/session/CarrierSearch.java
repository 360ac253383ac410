package dev.carryon.launcher.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.testdata.ByteSearch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A search of every file of a carrier folder for strings the guest writes (its boot id, its tick
 * lines): an encrypted carrier holds none of them, a plain one holds them (so the search works).
 */
final class CarrierSearch {
  private CarrierSearch() {}

  /** Asserts that no file under {@code dir} holds any of {@code strings} (ASCII). */
  static void assertNoFileHolds(Path dir, List<String> strings) throws IOException {
    List<String> found = search(dir, strings);
    assertEquals(List.of(), found, "in the clear under " + dir);
  }

  /** Asserts that some file under {@code dir} holds each of {@code strings} (ASCII). */
  static void assertSomeFileHolds(Path dir, List<String> strings) throws IOException {
    List<String> found = search(dir, strings);
    for (String s : strings) {
      assertTrue(found.stream().anyMatch(f -> f.endsWith(" holds '" + s + "'")),
          () -> "no file under " + dir + " holds '" + s + "'");
    }
  }

  /** "file holds 'string'" for every file under {@code dir} and each string it holds. */
  private static List<String> search(Path dir, List<String> strings) throws IOException {
    List<String> found = new ArrayList<>();
    int files = 0;
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        byte[] bytes = Files.readAllBytes(p);
        files++;
        for (String s : strings) {
          if (ByteSearch.indexOf(bytes, s.getBytes(StandardCharsets.US_ASCII)) >= 0) {
            found.add(dir.relativize(p) + " holds '" + s + "'");
          }
        }
      }
    }
    // A carrier has a manifest, a base, a COW, kernel, initrd, layers, states: an empty walk
    // would find nothing and prove nothing.
    assertTrue(files >= 8, "only " + files + " files under " + dir);
    return found;
  }
}
