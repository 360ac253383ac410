package dev.carryon.carrier;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes {@code carryon.json}. The schema is strict: {@code "format"} must be {@value
 * CarrierFiles#FORMAT} and {@code "version"} {@value CarrierFiles#VERSION} (or {@value
 * CarrierFiles#VERSION_WITHOUT_CHUNKS}, a carrier without chunk lists); every field is required
 * (nullable ones are written as {@code null}); unknown fields are refused; and the manifest must
 * keep {@link ManifestRules}. Each refusal is a {@link CarrierFormatException} naming the file and
 * the problem.
 *
 * <pre>{@code
 * {
 *   "format": "carryon-carrier", "version": 2,
 *   "carrierId": "<uuid>", "created": "<instant>", "currentGeneration": 3, "keep": 3,
 *   "vm": {"machineType": "pc-q35-7.2", "cpuModel": "qemu64", "memoryMiB": 256, "cpus": 1,
 *          "diskInterface": "virtio-blk", "kernel": "vmlinuz", "initrd": "initrd.img",
 *          "append": "console=ttyS0", "extraDevices": []},
 *   "generations": [{"number": 3, "parent": 2, "created": "<instant>", "hostId": "h1",
 *                    "sessionId": "s3", "chain": ["base.qcow2", "cow.qcow2", "layers/L3.qcow2"],
 *                    "state": "states/S3.zst", "note": "",
 *                    "qemu": null | {"version": "7.2.22 (Debian ...)", "accel": "tcg",
 *                                    "machineType": "pc-q35-7.2"},
 *                    "screenshot": null | "states/S3.png"}],
 *   "files": {"base.qcow2": {"size": 1048576, "sha256": "<64 hex>"}, ...},
 *   "lease": null | {"hostId": "h1", "hostName": "desk", "sessionId": "s4", "since": "<instant>"},
 *   "pending": null | {"op": "merge-layer", "layer": "layers/L2.qcow2", "into": "cow.qcow2",
 *               "rebase": null | "layers/L3.qcow2"},
 *   "syncs": [{"hostId": "h1", "image": "/vm/disk.qcow2", "generation": 3,
 *              "synced": "<instant>", "sample": "<64 hex>"}],
 *   "reset": null | {"op": "reset", "into": "base.qcow2", "merge": ["cow.qcow2", ...]},
 *   "chunks": {"chunkSize": 65536, "lists": {"base.qcow2": "<64 hex>", ...}}
 * }
 * }</pre>
 *
 * Version 2 adds {@code "chunks"} (see {@link ChunkLists}), required from version 2 on and refused
 * in version 1: {@code "chunks": {"chunkSize": 65536, "lists": {"base.qcow2": "<64 hex>",
 * "cow.qcow2": "<64 hex>", ...}}}, the SHA-256 of each kept image's chunk list. A manifest without
 * lists is written as version 1, so a carrier no carryon with lists has written to stays readable by
 * older ones; an older carryon refuses version 2 by its number ("manifest version 2 is not
 * supported (this carryon reads version 1)").
 *
 * <p>{@code "syncs"} (see {@link SyncRecord}), {@code "reset"} (see {@link PendingReset}) and each
 * generation's {@code "qemu"} (see {@link QemuRun}) and {@code "screenshot"} came later within
 * version 1: they are always written, and a manifest without them reads as one with no sync
 * recorded, no reset pending, no QEMU recorded and no screenshot. When present they are as strict as every other field.
 */
final class ManifestCodec {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(SerializationFeature.INDENT_OUTPUT);

  private ManifestCodec() {}

  /** Parses a manifest; {@code source} names it in error messages. */
  static Manifest parse(byte[] json, String source) throws CarrierFormatException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new CarrierFormatException(
          CarrierFormatException.Kind.NOT_JSON,
          source,
          "not JSON: " + e.getOriginalMessage() + locationOf(e),
          e);
    } catch (IOException e) {
      throw new CarrierFormatException(
          CarrierFormatException.Kind.NOT_JSON, source, "not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new CarrierFormatException(
          CarrierFormatException.Kind.NOT_JSON,
          source,
          "not a JSON object (found "
              + (root == null || root.isMissingNode() ? "nothing" : root.getNodeType())
              + ")");
    }
    // An encrypted carrier's seal is checked by ManifestStore, with the key; the content is read here.
    ((ObjectNode) root).remove(ManifestSeal.FIELD);
    JsonFields f = new JsonFields(source, "", (ObjectNode) root);
    checkFormatAndVersion(f, root, source);
    Manifest m = readManifest(f);
    String broken = ManifestRules.firstBroken(m);
    if (broken != null) {
      throw new CarrierFormatException(CarrierFormatException.Kind.INCONSISTENT, source, broken);
    }
    return m;
  }

  /** The manifest as UTF-8 JSON text; refuses a manifest that breaks {@link ManifestRules}. */
  static byte[] encode(Manifest m) {
    String broken = ManifestRules.firstBroken(m);
    if (broken != null) {
      throw new IllegalStateException("refusing to write an inconsistent manifest: " + broken);
    }
    ObjectNode o = MAPPER.createObjectNode();
    o.put("format", CarrierFiles.FORMAT);
    o.put("version", m.chunks() == null ? CarrierFiles.VERSION_WITHOUT_CHUNKS : CarrierFiles.VERSION);
    o.put("carrierId", m.carrierId().toString());
    o.put("created", m.created().toString());
    o.put("currentGeneration", m.currentGeneration());
    o.put("keep", m.keep());
    o.set("vm", VmConfigJson.write(m.vm()));
    ArrayNode generations = o.putArray("generations");
    for (Generation g : m.generations()) {
      ObjectNode go = generations.addObject();
      go.put("number", g.number());
      go.put("parent", g.parent());
      go.put("created", g.created().toString());
      go.put("hostId", g.hostId());
      go.put("sessionId", g.sessionId());
      g.chain().forEach(go.putArray("chain")::add);
      go.put("state", g.state());
      go.put("note", g.note());
      if (g.qemu() == null) {
        go.putNull("qemu");
      } else {
        go.putObject("qemu")
            .put("version", g.qemu().version())
            .put("accel", g.qemu().accel())
            .put("machineType", g.qemu().machineType());
      }
      go.put("screenshot", g.screenshot());
    }
    ObjectNode files = o.putObject("files");
    m.files()
        .forEach(
            (name, r) -> files.putObject(name).put("size", r.size()).put("sha256", r.sha256()));
    if (m.lease() == null) {
      o.putNull("lease");
    } else {
      Lease l = m.lease();
      o.putObject("lease")
          .put("hostId", l.hostId())
          .put("hostName", l.hostName())
          .put("sessionId", l.sessionId())
          .put("since", l.since().toString());
    }
    if (m.pending() == null) {
      o.putNull("pending");
    } else {
      o.putObject("pending")
          .put("op", PendingMerge.OP)
          .put("layer", m.pending().layer())
          .put("into", m.pending().into())
          .put("rebase", m.pending().rebase());
    }
    ArrayNode syncs = o.putArray("syncs");
    for (SyncRecord r : m.syncs()) {
      syncs
          .addObject()
          .put("hostId", r.hostId())
          .put("image", r.image())
          .put("generation", r.generation())
          .put("synced", r.synced().toString())
          .put("sample", r.sample());
    }
    if (m.reset() == null) {
      o.putNull("reset");
    } else {
      ObjectNode reset =
          o.putObject("reset").put("op", PendingReset.OP).put("into", m.reset().into());
      m.reset().merge().forEach(reset.putArray("merge")::add);
    }
    writeChunks(o, m.chunks());
    try {
      return (MAPPER.writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a JSON tree", e);
    }
  }

  private static void checkFormatAndVersion(JsonFields f, JsonNode root, String source)
      throws CarrierFormatException {
    JsonNode format = root.get("format");
    if (format == null || !format.isTextual()) {
      throw new CarrierFormatException(
          CarrierFormatException.Kind.FOREIGN,
          source,
          "not a carryon carrier manifest (no \"format\": \"" + CarrierFiles.FORMAT + "\")");
    }
    if (!f.text("format").equals(CarrierFiles.FORMAT)) {
      throw new CarrierFormatException(
          CarrierFormatException.Kind.FOREIGN,
          source,
          "not a carryon carrier manifest (format is \""
              + format.textValue()
              + "\", expected \""
              + CarrierFiles.FORMAT
              + "\")");
    }
    long version = f.whole("version");
    if (version != CarrierFiles.VERSION && version != CarrierFiles.VERSION_WITHOUT_CHUNKS) {
      throw new CarrierFormatException(
          CarrierFormatException.Kind.UNSUPPORTED_VERSION,
          source,
          "manifest version "
              + version
              + " is not supported (this carryon reads versions "
              + CarrierFiles.VERSION_WITHOUT_CHUNKS
              + " and "
              + CarrierFiles.VERSION
              + ")");
    }
  }

  private static Manifest readManifest(JsonFields f) throws CarrierFormatException {
    var carrierId = f.uuid("carrierId");
    var created = f.instant("created");
    long current = f.whole("currentGeneration");
    int keep = f.smallWhole("keep");
    VmConfig vm = VmConfigJson.read(f.object("vm"));
    List<Generation> generations = new ArrayList<>();
    for (JsonFields g : f.objects("generations")) {
      generations.add(readGeneration(g));
    }
    TreeMap<String, FileRecord> files = new TreeMap<>();
    for (Map.Entry<String, JsonFields> e : f.objectMap("files").entrySet()) {
      files.put(e.getKey(), readFile(e.getValue()));
    }
    Lease lease = readLease(f.objectOrNull("lease"));
    PendingMerge pending = readPending(f.objectOrNull("pending"));
    List<SyncRecord> syncs = new ArrayList<>();
    if (f.has("syncs")) {
      for (JsonFields r : f.objects("syncs")) {
        syncs.add(readSync(r));
      }
    }
    PendingReset reset = f.has("reset") ? readReset(f.objectOrNull("reset")) : null;
    // Version 1 has no chunk lists; an old carryon refuses version 2 whole, by its number.
    ChunkLists chunks =
        f.whole("version") == CarrierFiles.VERSION ? readChunks(f.object("chunks")) : null;
    f.done();
    try {
      return new Manifest(
          carrierId,
          created,
          current,
          vm,
          keep,
          generations,
          files,
          lease,
          pending,
          syncs,
          reset,
          chunks);
    } catch (IllegalArgumentException e) {
      throw f.invalid(e.getMessage());
    }
  }

  /** Writes the chunk lists' record ({@code "chunks"}, version 2 on; nothing when null). */
  private static void writeChunks(ObjectNode o, ChunkLists chunks) {
    if (chunks == null) {
      return;
    }
    ObjectNode c = o.putObject("chunks").put("chunkSize", chunks.chunkSize());
    ObjectNode lists = c.putObject("lists");
    chunks.byImage().forEach(lists::put);
  }

  /** Reads the chunk lists' record, required from version 2 on. */
  private static ChunkLists readChunks(JsonFields c) throws CarrierFormatException {
    ChunkLists chunks;
    try {
      chunks = new ChunkLists(c.smallWhole("chunkSize"), new TreeMap<>(c.textMap("lists")));
    } catch (IllegalArgumentException e) {
      throw c.invalid(e.getMessage());
    }
    c.done();
    return chunks;
  }

  private static Generation readGeneration(JsonFields g) throws CarrierFormatException {
    Generation generation;
    try {
      generation =
          new Generation(
              g.whole("number"),
              g.wholeOrNull("parent"),
              g.instant("created"),
              g.text("hostId"),
              g.text("sessionId"),
              g.texts("chain"),
              g.textOrNull("state"),
              g.text("note"),
              g.has("qemu") ? readQemuRun(g.objectOrNull("qemu")) : null,
              g.has("screenshot") ? g.textOrNull("screenshot") : null);
    } catch (IllegalArgumentException e) {
      throw g.invalid(e.getMessage());
    }
    g.done();
    return generation;
  }

  private static QemuRun readQemuRun(JsonFields q) throws CarrierFormatException {
    if (q == null) {
      return null;
    }
    QemuRun run;
    try {
      run = new QemuRun(q.text("version"), q.text("accel"), q.text("machineType"));
    } catch (IllegalArgumentException e) {
      throw q.invalid(e.getMessage());
    }
    q.done();
    return run;
  }

  private static FileRecord readFile(JsonFields r) throws CarrierFormatException {
    FileRecord record;
    try {
      record = new FileRecord(r.whole("size"), r.text("sha256"));
    } catch (IllegalArgumentException e) {
      throw r.invalid(e.getMessage());
    }
    r.done();
    return record;
  }

  private static Lease readLease(JsonFields l) throws CarrierFormatException {
    if (l == null) {
      return null;
    }
    Lease lease =
        new Lease(l.text("hostId"), l.text("hostName"), l.text("sessionId"), l.instant("since"));
    l.done();
    return lease;
  }

  private static PendingMerge readPending(JsonFields p) throws CarrierFormatException {
    if (p == null) {
      return null;
    }
    String op = p.text("op");
    if (!op.equals(PendingMerge.OP)) {
      throw p.invalid("unknown pending operation \"" + op + "\" (known: " + PendingMerge.OP + ")");
    }
    PendingMerge pending =
        new PendingMerge(p.text("layer"), p.text("into"), p.textOrNull("rebase"));
    p.done();
    return pending;
  }

  private static SyncRecord readSync(JsonFields r) throws CarrierFormatException {
    SyncRecord record;
    try {
      record =
          new SyncRecord(
              r.text("hostId"),
              r.text("image"),
              r.whole("generation"),
              r.instant("synced"),
              r.text("sample"));
    } catch (IllegalArgumentException e) {
      throw r.invalid(e.getMessage());
    }
    r.done();
    return record;
  }

  private static PendingReset readReset(JsonFields r) throws CarrierFormatException {
    if (r == null) {
      return null;
    }
    String op = r.text("op");
    if (!op.equals(PendingReset.OP)) {
      throw r.invalid("unknown reset operation \"" + op + "\" (known: " + PendingReset.OP + ")");
    }
    PendingReset reset = new PendingReset(r.text("into"), r.texts("merge"));
    r.done();
    return reset;
  }

  private static String locationOf(JsonProcessingException e) {
    return e.getLocation() == null
        ? ""
        : " (line "
            + e.getLocation().getLineNr()
            + ", column "
            + e.getLocation().getColumnNr()
            + ")";
  }
}
