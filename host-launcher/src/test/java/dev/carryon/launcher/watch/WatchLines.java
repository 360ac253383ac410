package dev.carryon.launcher.watch;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Follows the stdout file of a {@code carryon watch --json}: one JSON object per line. */
final class WatchLines {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final Process watch;
  /** Lines taken so far by {@link #next}. */
  private int taken;

  WatchLines(Path file, Process watch) {
    this.file = file;
    this.watch = watch;
  }

  /**
   * Waits for the next event (after those already taken) named {@code event} and returns it;
   * events of other names on the way are skipped.
   */
  JsonNode next(String event, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<String> lines = lines();
      while (taken < lines.size()) {
        JsonNode node = parse(lines.get(taken++));
        if (event.equals(node.path("event").asText())) {
          return node;
        }
      }
      if (!watch.isAlive()) {
        fail("carryon watch exited (code " + watch.exitValue() + ") before a '" + event + "' event; it printed:\n" + String.join("\n", lines));
      }
      if (System.nanoTime() > deadline) {
        fail("no '" + event + "' event within " + timeout + "; carryon watch printed:\n" + String.join("\n", lines));
      }
      Thread.sleep(20);
    }
  }

  /** Every complete line so far. */
  List<String> lines() {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      List<String> out = new ArrayList<>(text.lines().toList());
      if (!text.isEmpty() && !text.endsWith("\n")) {
        out.remove(out.size() - 1); // still being written
      }
      return out;
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new AssertionError("carryon watch --json printed a line that is not JSON: " + line, e);
    }
  }
}
