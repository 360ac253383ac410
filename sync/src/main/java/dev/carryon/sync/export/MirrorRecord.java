package dev.carryon.sync.export;

import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.cow.io.WritePoints;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the last mirror run left in a host folder, per regular file: size, modification time and
 * the guest's change stamp. A text file, one line per file, tabs between fields, names escaped:
 *
 * <pre>
 * carryon-mirror 1
 * source	CARRIER (generation 3), partition 2:/home/me
 * f	docs/a.txt	1234	1700000000	500000000	12.3456.1700000000.500000000
 * </pre>
 *
 * A record is a hint, never trusted alone: a file is skipped only when the host file still has
 * the recorded size and time and the guest file the recorded stamp; anything else is compared.
 * So a lost, stale or foreign record costs reads, never a wrong mirror.
 */
final class MirrorRecord {
  /** First line. */
  private static final String MAGIC = "carryon-mirror 1";

  /**
   * One file as the last run left it.
   *
   * @param size bytes
   * @param modified modification time (host and guest)
   * @param stamp the guest's change stamp, or null when the reader had none
   */
  record Entry(long size, Instant modified, String stamp) {}

  /** What the mirror was made from; a record of another source is ignored. */
  private final String source;
  /** Files by relative path ("dir/name"). */
  private final Map<String, Entry> files;

  private MirrorRecord(String source, Map<String, Entry> files) {
    this.source = source;
    this.files = files;
  }

  /** An empty record of {@code source}. */
  static MirrorRecord empty(String source) {
    return new MirrorRecord(source, new LinkedHashMap<>());
  }

  /**
   * The record in {@code file} if it describes a mirror of {@code source}; an empty one when the
   * file is missing, unreadable or of another source (the run then compares every file).
   */
  static MirrorRecord load(Path file, String source) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return empty(source);
    }
    Map<String, Entry> files = new LinkedHashMap<>();
    try (BufferedReader r = new BufferedReader(new StringReader(text))) {
      if (!MAGIC.equals(r.readLine())) {
        return empty(source);
      }
      String header = r.readLine();
      if (header == null || !header.equals("source\t" + escape(source))) {
        return empty(source);
      }
      for (String line; (line = r.readLine()) != null; ) {
        String[] f = line.split("\t", -1);
        if (f.length != 6 || !f[0].equals("f")) {
          return empty(source); // damaged: compare everything rather than trust any of it
        }
        files.put(unescape(f[1]), new Entry(Long.parseLong(f[2]),
            Instant.ofEpochSecond(Long.parseLong(f[3]), Long.parseLong(f[4])),
            f[5].equals("-") ? null : unescape(f[5])));
      }
    } catch (NumberFormatException | java.time.DateTimeException e) {
      return empty(source);
    }
    return new MirrorRecord(source, files);
  }

  Entry get(String path) {
    return files.get(path);
  }

  Collection<Map.Entry<String, Entry>> entries() {
    return files.entrySet();
  }

  /** Entries by the identity part of their stamp (inode and generation), for renames. */
  Map<String, List<String>> byIdentity() {
    Map<String, List<String>> index = new HashMap<>();
    for (Map.Entry<String, Entry> e : files.entrySet()) {
      String id = identity(e.getValue().stamp());
      if (id != null) {
        index.computeIfAbsent(id, k -> new ArrayList<>()).add(e.getKey());
      }
    }
    return index;
  }

  /** "inode.generation" of a stamp, or null. */
  static String identity(String stamp) {
    if (stamp == null) {
      return null;
    }
    int first = stamp.indexOf('.');
    int second = first < 0 ? -1 : stamp.indexOf('.', first + 1);
    return second < 0 ? null : stamp.substring(0, second);
  }

  void put(String path, Entry e) {
    files.put(path, e);
  }

  /**
   * Writes the record to {@code file} durably: a temporary file beside it, forced, renamed over
   * it, the folder forced. A cut leaves the old record or the new one.
   */
  void save(Path file) throws IOException {
    StringBuilder s = new StringBuilder(MAGIC).append('\n');
    s.append("source\t").append(escape(source)).append('\n');
    for (Map.Entry<String, Entry> e : files.entrySet()) {
      Entry v = e.getValue();
      s.append("f\t").append(escape(e.getKey())).append('\t').append(v.size()).append('\t')
          .append(v.modified().getEpochSecond()).append('\t').append(v.modified().getNano())
          .append('\t').append(v.stamp() == null ? "-" : escape(v.stamp())).append('\n');
    }
    Path dir = file.toAbsolutePath().getParent();
    OwnerOnly.createDirectories(dir);
    Path tmp = dir.resolve(file.getFileName() + ".tmp");
    WritePoints.reach(tmp, "write mirror record");
    try (FileChannel ch = OwnerOnly.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(s.toString().getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      WritePoints.reach(tmp, "force mirror record");
      ch.force(true); // the new record is whole on disk before it replaces the old one
    }
    WritePoints.reach(file, "rename mirror record");
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Mirror.forceFolder(dir);
  }

  /** Backslash escapes for the three characters that would break a line: \ tab newline. */
  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
  }

  private static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(++i);
        out.append(n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
