package dev.carryon.testdata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Folder trees for tests: snapshots of carriers and host folders, and their removal. */
public final class FileTrees {
  private FileTrees() {}

  /**
   * Copies the tree {@code from} to {@code to} (must not exist), keeping modification times.
   *
   * @return {@code to}
   */
  public static Path copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    return to;
  }

  /** Deletes the tree {@code dir}; nothing when absent. */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /**
   * How {@code actual} differs from {@code expected}, entry by entry below both tops: names, types,
   * symlink targets, permissions, modification times and file contents. Empty when they match.
   */
  public static List<String> differences(Path expected, Path actual) throws IOException {
    List<String> found = new ArrayList<>();
    List<String> want = list(expected);
    List<String> got = list(actual);
    for (String rel : want) {
      if (!got.contains(rel)) {
        found.add(rel + ": missing");
      }
    }
    for (String rel : got) {
      if (!want.contains(rel)) {
        found.add(rel + ": not expected");
      }
    }
    for (String rel : want) {
      if (!got.contains(rel)) {
        continue;
      }
      Path e = expected.resolve(rel);
      Path a = actual.resolve(rel);
      PosixFileAttributes ea = Files.readAttributes(e, PosixFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS);
      PosixFileAttributes aa = Files.readAttributes(a, PosixFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS);
      if (!kind(ea).equals(kind(aa))) {
        found.add(rel + ": a " + kind(aa) + ", expected a " + kind(ea));
      } else if (ea.isSymbolicLink()) {
        if (!Files.readSymbolicLink(e).equals(Files.readSymbolicLink(a))) {
          found.add(rel + ": points at " + Files.readSymbolicLink(a) + ", expected "
              + Files.readSymbolicLink(e));
        }
      } else {
        if (!ea.permissions().equals(aa.permissions())) {
          found.add(rel + ": permissions " + aa.permissions() + ", expected " + ea.permissions());
        }
        if (!ea.lastModifiedTime().equals(aa.lastModifiedTime())) {
          found.add(rel + ": modified " + aa.lastModifiedTime() + ", expected "
              + ea.lastModifiedTime());
        }
        if (ea.isRegularFile() && !Arrays.equals(Files.readAllBytes(e), Files.readAllBytes(a))) {
          found.add(rel + ": other content");
        }
      }
    }
    return found;
  }

  /** Every path below {@code root}, relative, sorted. */
  public static List<String> list(Path root) throws IOException {
    TreeSet<String> names = new TreeSet<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.filter(p -> !p.equals(root)).forEach(p -> names.add(root.relativize(p).toString()));
    }
    return new ArrayList<>(names);
  }

  private static String kind(PosixFileAttributes a) {
    return a.isSymbolicLink() ? "symlink" : a.isDirectory() ? "directory" : a.isRegularFile()
        ? "file" : "special file";
  }
}
