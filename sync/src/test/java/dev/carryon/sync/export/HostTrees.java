package dev.carryon.sync.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Host folder trees compared entry by entry: names, types, content, permissions, times. */
final class HostTrees {
  private HostTrees() {}

  /** Asserts that {@code actual} holds what {@code expected} holds; their tops' own metadata aside. */
  static void assertSame(Path expected, Path actual) throws IOException {
    List<String> missing = new ArrayList<>(list(expected));
    missing.removeAll(list(actual));
    List<String> extra = new ArrayList<>(list(actual));
    extra.removeAll(list(expected));
    assertEquals("missing [] extra []", "missing " + missing + " extra " + extra,
        "entries of " + actual);
    for (String rel : list(expected)) {
      Path e = expected.resolve(rel);
      Path a = actual.resolve(rel);
      PosixFileAttributes ea = attrs(e);
      PosixFileAttributes aa = attrs(a);
      assertEquals(kind(ea), kind(aa), rel);
      if (ea.isSymbolicLink()) {
        assertEquals(Files.readSymbolicLink(e), Files.readSymbolicLink(a), rel);
        continue;
      }
      assertEquals(ea.permissions(), aa.permissions(), rel + " permissions");
      assertEquals(ea.lastModifiedTime(), aa.lastModifiedTime(), rel + " time");
      if (ea.isRegularFile()) {
        assertArrayEquals(Files.readAllBytes(e), Files.readAllBytes(a), rel);
      }
    }
  }

  /** Every path below {@code root}, relative, sorted. */
  static List<String> list(Path root) throws IOException {
    TreeSet<String> names = new TreeSet<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.filter(p -> !p.equals(root)).forEach(p -> names.add(root.relativize(p).toString()));
    }
    return new ArrayList<>(names);
  }

  static PosixFileAttributes attrs(Path p) throws IOException {
    return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
  }

  private static String kind(PosixFileAttributes a) {
    return a.isSymbolicLink() ? "symlink" : a.isDirectory() ? "directory" : a.isRegularFile()
        ? "file" : "other";
  }
}
