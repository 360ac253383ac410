package dev.carryon.launcher.qemu;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A small JSON cache file in the host's carryon folder, as the caches of this package keep. */
final class JsonCacheFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonCacheFile() {}

  /** The file's JSON, or null when there is none or it cannot be read or parsed (a miss). */
  static JsonNode read(Path file) {
    try {
      return JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return null; // none yet, or torn or foreign: the caller asks again and overwrites it
    }
  }

  /**
   * Replaces the file whole with {@code content} (temp file, then rename) so that a reader never
   * sees half of it. Not forced: a cache lost in a power cut costs one more question to QEMU.
   */
  static void replace(Path file, JsonNode content) throws IOException {
    String text;
    try {
      text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(content) + "\n";
    } catch (JsonProcessingException e) {
      throw new IOException("cannot encode the cache " + file, e);
    }
    Path temp =
        Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName() + ".", ".tmp");
    try {
      Files.writeString(temp, text, StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
