package dev.carryon.sync.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.carryon.testdata.FileTrees;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Host folder trees compared entry by entry, through testdata's {@link FileTrees}. */
final class HostTrees {
  private HostTrees() {}

  /** Asserts that {@code actual} holds what {@code expected} holds; their tops aside. */
  static void assertSame(Path expected, Path actual) throws IOException {
    assertEquals(List.of(), FileTrees.differences(expected, actual), actual.toString());
  }

  /** Every path below {@code root}, relative, sorted. */
  static List<String> list(Path root) throws IOException {
    return FileTrees.list(root);
  }
}
