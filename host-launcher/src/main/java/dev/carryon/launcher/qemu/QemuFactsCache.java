package dev.carryon.launcher.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link QemuFacts} per QEMU binary, kept in one small JSON file in the host's carryon folder so
 * that a command asks QEMU only after a change. The file carryon runs may be a wrapper script
 * whose own bytes stay the same while the QEMU behind it is upgraded (a chroot, a container), so
 * an answer is reused only while both the file run and the executable the QEMU process really was
 * ({@code /proc/PID/exe} when it answered) have the size and modification time they had; the
 * QMP-reported version is kept with them and is part of what {@link AccelProbeCache} keys on. A
 * file that cannot be read or parsed is a miss.
 *
 * <p>File format: {@code {"<binary>": {"binary": STAMP, "executable": STAMP, "answers": {...}}}},
 * STAMP being {@code "<size> bytes, modified <time>"} and the answers as {@link QemuFacts#ask} gives
 * them.
 */
public final class QemuFactsCache {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The cache file. */
  private final Path file;

  public QemuFactsCache(Path file) {
    this.file = file;
  }

  /** The facts of {@code qemu}: cached while it and the executable behind it are unchanged. */
  public QemuFacts factsOf(Path qemu) throws IOException {
    String binary = qemu.toAbsolutePath().toString();
    ObjectNode all = read();
    JsonNode entry = all.path(binary);
    if (entry.isObject()
        && stamp(qemu).equals(entry.path("binary"))
        && entry.path("answers").isObject()) {
      try {
        QemuFacts cached = QemuFacts.fromAnswers(entry.get("answers"));
        if (stamp(cached.executable()).equals(entry.path("executable"))) {
          return cached;
        }
      } catch (IOException e) {
        // gone, or a torn or foreign entry: ask again and overwrite it
      }
    }
    JsonNode answers = QemuFacts.ask(qemu);
    QemuFacts facts = QemuFacts.fromAnswers(answers);
    ObjectNode fresh = JSON.createObjectNode();
    fresh.set("binary", stamp(qemu));
    fresh.set("executable", stamp(facts.executable()));
    fresh.set("answers", answers);
    all.set(binary, fresh);
    try {
      JsonCacheFile.replace(file, all);
    } catch (IOException e) {
      System.err.println("carryon: could not keep QEMU's answers in " + file + ": " + e.getMessage());
    }
    return facts;
  }

  /** Size and modification time of {@code path} (following links), as the cache keeps them. */
  static TextNode stamp(Path path) throws IOException {
    return TextNode.valueOf(Files.size(path) + " bytes, modified " + Files.getLastModifiedTime(path));
  }

  private ObjectNode read() {
    return JsonCacheFile.read(file) instanceof ObjectNode o ? o : JSON.createObjectNode();
  }

  @Override
  public String toString() {
    return file.toString();
  }
}
