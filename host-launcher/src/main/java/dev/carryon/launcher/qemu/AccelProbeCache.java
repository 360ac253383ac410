package dev.carryon.launcher.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The last KVM probe's result, kept in one small JSON file in the host's carryon folder so that
 * only the first resume after a change pays for the probe (a second or more where KVM hangs). The
 * result is reused while its {@link Key} holds: the same kernel boot, the same QEMU (the executable
 * that really ran, behind any wrapper, and its QMP-reported version: see {@link QemuFactsCache})
 * and the same {@code /dev/kvm} node. A file that cannot be read or parsed is a miss.
 *
 * <p>File format: {@code {"key":{"bootId":...,"qemu":...,"qemuSize":...,"qemuModified":...,
 * "qemuVersion":...,"kvmNode":...},"accel":"kvm"|"tcg","reason":...,"probedAt":...}}.
 */
final class AccelProbeCache {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Changes with every boot of the host kernel (and so with a new kvm module or its options). */
  static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

  /** The cache file. */
  private final Path file;
  /** Where the kernel's boot id is read; a test points it elsewhere. */
  private final Path bootIdFile;

  AccelProbeCache(Path file, Path bootIdFile) {
    this.file = file;
    this.bootIdFile = bootIdFile;
  }

  /**
   * What a probe's answer depends on.
   *
   * @param bootId the kernel's boot id: a reboot may bring another kernel, kvm module or BIOS
   *     setting
   * @param qemu the executable the probed QEMU really was (behind any wrapper), absolute
   * @param qemuSize its size in bytes
   * @param qemuModified its modification time: an upgraded QEMU is probed again
   * @param qemuVersion its version and build as it reports them over QMP
   * @param kvmNode the {@code /dev/kvm} node's change time, or "absent": reloading the kvm module
   *     makes a new node
   */
  record Key(
      String bootId,
      String qemu,
      long qemuSize,
      String qemuModified,
      String qemuVersion,
      String kvmNode) {}

  /** The key for probing the QEMU of {@code qemu} with {@code devKvm} now. */
  Key keyFor(QemuFacts qemu, Path devKvm) throws IOException {
    Path binary = qemu.executable();
    String kvmNode =
        Files.exists(devKvm) ? Files.getAttribute(devKvm, "unix:ctime").toString() : "absent";
    return new Key(
        Files.readString(bootIdFile, StandardCharsets.US_ASCII).strip(),
        binary.toString(),
        Files.size(binary),
        Files.getLastModifiedTime(binary).toString(),
        qemu.describe(),
        kvmNode);
  }

  /**
   * The stored choice when it was made under {@code key}, else empty. Read as a JSON tree, field by
   * field: binding it to records costs Jackson a tenth of a second of introspection on every
   * resume.
   */
  Optional<AccelChoice> lookup(Key key) {
    JsonNode entry = JsonCacheFile.read(file);
    if (entry == null || !entry.isObject() || !key.equals(keyOf(entry.path("key")))) {
      return Optional.empty();
    }
    JsonNode reason = entry.path("reason");
    for (Accel accel : Accel.values()) {
      if (reason.isTextual() && accel.qemuName().equals(entry.path("accel").asText())) {
        return Optional.of(new AccelChoice(accel, reason.asText()));
      }
    }
    return Optional.empty();
  }

  /** The key stored in {@code node}, or null when it is not one. */
  private static Key keyOf(JsonNode node) {
    for (String field : List.of("bootId", "qemu", "qemuModified", "qemuVersion", "kvmNode")) {
      if (!node.path(field).isTextual()) {
        return null;
      }
    }
    if (!node.path("qemuSize").canConvertToLong()) {
      return null;
    }
    return new Key(
        node.get("bootId").asText(),
        node.get("qemu").asText(),
        node.get("qemuSize").asLong(),
        node.get("qemuModified").asText(),
        node.get("qemuVersion").asText(),
        node.get("kvmNode").asText());
  }

  /**
   * Stores {@code choice} under {@code key}, replacing the file whole (temp file, then rename) so
   * a reader never sees half of it. Not forced: a cache lost in a power cut costs one probe.
   */
  void store(Key key, AccelChoice choice) throws IOException {
    ObjectNode entry = JSON.createObjectNode();
    ObjectNode k = entry.putObject("key");
    k.put("bootId", key.bootId());
    k.put("qemu", key.qemu());
    k.put("qemuSize", key.qemuSize());
    k.put("qemuModified", key.qemuModified());
    k.put("qemuVersion", key.qemuVersion());
    k.put("kvmNode", key.kvmNode());
    entry.put("accel", choice.accel().qemuName());
    entry.put("reason", choice.reason());
    entry.put("probedAt", Instant.now().toString());
    JsonCacheFile.replace(file, entry);
  }

  @Override
  public String toString() {
    return file.toString();
  }
}
