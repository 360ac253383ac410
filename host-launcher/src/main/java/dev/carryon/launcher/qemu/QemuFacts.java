package dev.carryon.launcher.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one QEMU binary is and offers, as it answers over QMP ({@code query-version}, {@code
 * query-machines}, {@code query-cpu-definitions}), the way libvirt asks: help text differs between
 * versions (QEMU 10 lists CPU models without 7.2's {@code x86 } prefix), QMP answers the same.
 * {@link QemuFactsCache} keeps the answers per binary.
 *
 * @param version QEMU's version, e.g. {@code 7.2.22}
 * @param packageName the distribution's build, e.g. {@code Debian 1:7.2+dfsg-7+deb12u18+b3}; may be
 *     empty
 * @param executable the file the QEMU process really ran ({@code /proc/PID/exe}): the binary behind
 *     any wrapper script
 * @param machines machine types by name
 * @param cpus CPU models by name
 */
public record QemuFacts(
    String version,
    String packageName,
    Path executable,
    Map<String, Machine> machines,
    Map<String, CpuModel> cpus) {

  /** Longest the questions may take, QEMU's start included (well under a second here). */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  public QemuFacts {
    machines = Collections.unmodifiableMap(new TreeMap<>(machines));
    cpus = Collections.unmodifiableMap(new TreeMap<>(cpus));
  }

  /**
   * One machine type.
   *
   * @param name e.g. {@code pc-q35-7.2}
   * @param alias the short name that stands for it here ({@code q35}), or null
   * @param deprecated true when this QEMU says a later one will drop it
   */
  public record Machine(String name, String alias, boolean deprecated) {}

  /**
   * One CPU model.
   *
   * @param name e.g. {@code qemu64}
   * @param migrationSafe false for models whose features are the host's or QEMU's newest ({@code
   *     host}, {@code max}): a saved state may not fit the next host
   * @param unavailable features the model has that this QEMU cannot give under TCG; QEMU drops them
   *     with a warning, so a guest moved from a host that had them may fault
   * @param deprecated true when this QEMU says a later one will drop it
   */
  public record CpuModel(
      String name, boolean migrationSafe, List<String> unavailable, boolean deprecated) {
    public CpuModel {
      unavailable = List.copyOf(unavailable);
    }
  }

  /** {@code 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)}, or the bare version without a package. */
  public String describe() {
    return packageName.isEmpty() ? version : version + " (" + packageName + ")";
  }

  /** The versioned machine type the alias {@code name} stands for here, or null when none does. */
  public String machineForAlias(String name) {
    for (Machine m : machines.values()) {
      if (name.equals(m.alias())) {
        return m.name();
      }
    }
    return null;
  }

  /**
   * Starts {@code qemu} with no machine, asks it, stops it; returns its answers as {@link
   * #fromAnswers} reads them.
   */
  static JsonNode ask(Path qemu) throws IOException {
    try (QemuProcess bare = QemuProcess.startBare(qemu)) {
      Path executable = Files.readSymbolicLink(Path.of("/proc", Long.toString(bare.pid()), "exe"));
      ObjectNode answers = JsonNodeFactory.instance.objectNode();
      answers.set("version", bare.qmp().execute("query-version", TIMEOUT));
      answers.put("executable", executable.toString());
      answers.set("machines", bare.qmp().execute("query-machines", TIMEOUT));
      answers.set("cpus", bare.qmp().execute("query-cpu-definitions", TIMEOUT));
      return answers;
    }
  }

  /**
   * Reads QEMU's answers, as {@link #ask} gathers them (and the cache keeps them):
   * {@code {"version": <query-version>, "executable": ..., "machines": <query-machines>, "cpus":
   * <query-cpu-definitions>}}.
   *
   * @throws IOException when an answer is not what QMP defines
   */
  static QemuFacts fromAnswers(JsonNode answers) throws IOException {
    JsonNode v = answers.path("version").path("qemu");
    if (!v.path("major").isInt() || !v.path("minor").isInt() || !v.path("micro").isInt()) {
      throw new IOException("query-version answered no version: " + answers.path("version"));
    }
    String version = v.get("major").asInt() + "." + v.get("minor").asInt() + "." + v.get("micro").asInt();
    Map<String, Machine> machines = new TreeMap<>();
    for (JsonNode m : array(answers, "machines")) {
      String name = text(m, "name");
      machines.put(
          name,
          new Machine(
              name,
              m.path("alias").isTextual() ? m.get("alias").asText() : null,
              m.path("deprecated").asBoolean(false)));
    }
    Map<String, CpuModel> cpus = new TreeMap<>();
    for (JsonNode c : array(answers, "cpus")) {
      String name = text(c, "name");
      List<String> unavailable = new ArrayList<>();
      c.path("unavailable-features").forEach(f -> unavailable.add(f.asText()));
      cpus.put(
          name,
          new CpuModel(
              name,
              c.path("migration-safe").asBoolean(false),
              unavailable,
              c.path("deprecated").asBoolean(false)));
    }
    return new QemuFacts(
        version,
        answers.path("version").path("package").asText("").strip(),
        Path.of(text(answers, "executable")),
        machines,
        cpus);
  }

  private static Iterable<JsonNode> array(JsonNode answers, String name) throws IOException {
    JsonNode a = answers.path(name);
    if (!a.isArray()) {
      throw new IOException("QEMU's answer about " + name + " is not a list: " + a);
    }
    return a;
  }

  private static String text(JsonNode node, String field) throws IOException {
    if (!node.path(field).isTextual()) {
      throw new IOException("QEMU's answer has no " + field + ": " + node);
    }
    return node.get(field).asText();
  }
}
