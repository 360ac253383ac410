package dev.carryon.testdata.fuzz;

import dev.carryon.testdata.FileTrees;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * One input of a fuzz target: named files, relative to a folder, with {@code /} as separator. A
 * single image is one file; a carrier is a folder of them. Immutable: the {@code with...} methods
 * return a changed copy.
 *
 * <p>On disk (regression files) an input is a file or a folder; a name ending in {@code .gz} is
 * stored compressed and read back under the name without it, so mostly-zero disk images stay small
 * in the repository.
 */
public final class FuzzInput {
  /** Compressed files end in this; the suffix is not part of the input's name. */
  static final String GZ = ".gz";

  /** Contents by relative name. */
  private final NavigableMap<String, byte[]> files;

  private FuzzInput(NavigableMap<String, byte[]> files) {
    this.files = Collections.unmodifiableNavigableMap(files);
  }

  /** An input of one file. */
  public static FuzzInput of(String name, byte[] content) {
    return new FuzzInput(new TreeMap<>(Map.of(checkedName(name), content)));
  }

  /** The file, or every regular file under the folder, at {@code path}. */
  public static FuzzInput read(Path path) throws IOException {
    TreeMap<String, byte[]> files = new TreeMap<>();
    if (Files.isDirectory(path)) {
      try (Stream<Path> s = Files.walk(path)) {
        for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
          put(files, path.relativize(p).toString().replace('\\', '/'), p);
        }
      }
    } else {
      put(files, path.getFileName().toString(), path);
    }
    if (files.isEmpty()) {
      throw new IOException(path + ": holds no file, so it is no fuzz input");
    }
    return new FuzzInput(files);
  }

  private static void put(TreeMap<String, byte[]> files, String name, Path p) throws IOException {
    if (name.endsWith(GZ)) {
      try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
        files.put(name.substring(0, name.length() - GZ.length()), in.readAllBytes());
      }
    } else {
      files.put(name, Files.readAllBytes(p));
    }
  }

  /** The names, sorted. */
  public NavigableMap<String, byte[]> files() {
    return files;
  }

  /** The content of {@code name}; fails when there is no such file. */
  public byte[] get(String name) {
    byte[] b = files.get(name);
    if (b == null) {
      throw new IllegalArgumentException("no file '" + name + "' in this input " + files.keySet());
    }
    return b;
  }

  /** This input with {@code name} holding {@code content} (added or replaced). */
  public FuzzInput with(String name, byte[] content) {
    TreeMap<String, byte[]> copy = new TreeMap<>(files);
    copy.put(checkedName(name), content);
    return new FuzzInput(copy);
  }

  /** This input without {@code name}. */
  public FuzzInput without(String name) {
    TreeMap<String, byte[]> copy = new TreeMap<>(files);
    copy.remove(name);
    return new FuzzInput(copy);
  }

  /** Total bytes of all files. */
  public long size() {
    return files.values().stream().mapToLong(b -> b.length).sum();
  }

  /** Writes the files into the folder {@code dir} (created), which must hold none of them. */
  public void writeTo(Path dir) throws IOException {
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      Path p = dir.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, e.getValue());
    }
  }

  /** Whether the folder {@code dir} holds exactly these files with these contents. */
  public boolean matches(Path dir) throws IOException {
    FuzzInput now;
    try {
      now = read(dir);
    } catch (IOException e) {
      return files.isEmpty();
    }
    return equals(now);
  }

  /**
   * Saves this input as a regression file: {@code path} itself when the input is one file, else a
   * folder at {@code path}; with {@code gzip}, every file is stored compressed (name + ".gz").
   *
   * @return the file or folder written
   */
  public Path save(Path path, boolean gzip) throws IOException {
    FileTrees.deleteTree(path);
    if (files.size() == 1) {
      Files.createDirectories(path.toAbsolutePath().getParent());
      return store(path, files.firstEntry().getValue(), gzip);
    }
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      Path p = path.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      store(p, e.getValue(), gzip);
    }
    return path;
  }

  private static Path store(Path p, byte[] content, boolean gzip) throws IOException {
    if (!gzip) {
      return Files.write(p, content);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(content);
    }
    return Files.write(p.resolveSibling(p.getFileName() + GZ), bytes.toByteArray());
  }

  /** SHA-256 over names and contents, short: tells inputs apart in messages. */
  public String digest() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(e.getValue());
      }
      return HexFormat.of().formatHex(md.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String checkedName(String name) {
    if (name.isEmpty() || name.startsWith("/") || name.contains("..") || name.contains("\\")) {
      throw new IllegalArgumentException("fuzz input file name (" + name + ") must be relative and plain");
    }
    return name;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof FuzzInput other) || !files.keySet().equals(other.files.keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      if (!Arrays.equals(e.getValue(), other.files.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return digest().hashCode();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    files.forEach((n, b) -> s.append(s.length() == 0 ? "" : ", ").append(n).append(" (").append(b.length).append(" bytes)"));
    return s.toString();
  }
}
