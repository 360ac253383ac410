package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestCodecTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SHA_A = "a".repeat(64);
  private static final String SHA_B = "b".repeat(64);

  @TempDir Path dir;

  /** A real carrier with generations 1 to 3, whose manifest the bad cases are made from. */
  private Path carrier;

  private Path manifestFile;

  @BeforeEach
  void makeCarrier() throws IOException {
    try (Carrier c =
        Fixtures.create(dir, 3, new TestClock(Instant.parse("2025-03-01T10:00:00Z")))) {
      Fixtures.session(c, Fixtures.HOME, 1, dir.resolve("work"));
      Fixtures.session(c, Fixtures.HOME, 2, dir.resolve("work"));
      c.takeLease(Fixtures.OFFICE, "s4");
      carrier = Fixtures.folder(c);
    }
    manifestFile = carrier.resolve(CarrierFiles.MANIFEST);
  }

  @Test
  void roundTripsEveryField() throws IOException {
    Generation g1 =
        new Generation(
            4,
            null,
            Instant.parse("2025-01-02T03:04:05.678Z"),
            "h1",
            "s4",
            List.of("base.qcow2", "cow.qcow2", "layers/L4.qcow2"),
            null,
            "cold",
            null,
            null);
    Generation g2 =
        new Generation(
            5,
            4L,
            Instant.parse("2025-01-03T00:00:00Z"),
            "h2",
            "s5",
            List.of("base.qcow2", "cow.qcow2", "layers/L4.qcow2", "layers/L5.qcow2"),
            "states/S5.zst",
            "with \"quotes\" and ünïcode",
            new QemuRun("10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)", "kvm", "pc-q35-7.1"),
            "states/S5.png");
    Map<String, FileRecord> files = new TreeMap<>();
    for (String name :
        List.of("base.qcow2", "cow.qcow2", "layers/L4.qcow2", "layers/L5.qcow2", "states/S5.zst",
            "states/S5.png")) {
      files.put(name, new FileRecord(name.length() * 1000L, name.contains("L") ? SHA_A : SHA_B));
    }
    Manifest m =
        new Manifest(
            UUID.randomUUID(),
            Instant.parse("2025-01-01T00:00:00Z"),
            5,
            new VmConfig("pc-q35-7.2", "max", 512, 2, "virtio-blk", null, null, null, List.of()),
            2,
            List.of(g2, g1),
            files,
            new Lease("h2", "laptop", "s6", Instant.parse("2025-01-04T00:00:00Z")),
            new PendingMerge("layers/L4.qcow2", "cow.qcow2", "layers/L5.qcow2"));
    byte[] json = ManifestCodec.encode(m);
    assertEquals(m, ManifestCodec.parse(json, "mem.json"));
    String text = new String(json, StandardCharsets.UTF_8);
    assertTrue(text.contains("\"op\" : \"merge-layer\""), text);
    assertTrue(text.contains("\"rebase\" : \"layers/L5.qcow2\""), text);
    assertTrue(text.contains("\"kernel\" : null"), text);

    // And a manifest written by a carrier reads back as the carrier saw it.
    assertEquals(
        Fixtures.open(carrier).manifest(),
        ManifestCodec.parse(Files.readAllBytes(manifestFile), manifestFile.toString()));
  }

  @Test
  void notJson() throws IOException {
    Files.writeString(manifestFile, "{\"format\": \"carryon-carrier\",");
    CarrierFormatException e = refused(CarrierFormatException.Kind.NOT_JSON);
    assertTrue(e.getMessage().startsWith(manifestFile + ": not JSON: "), e.getMessage());
    assertTrue(e.getMessage().contains("line 1"), e.getMessage());
  }

  @Test
  void emptyFileAndJsonThatIsNoObject() throws IOException {
    Files.writeString(manifestFile, "");
    assertEquals(
        manifestFile + ": not a JSON object (found nothing)",
        refused(CarrierFormatException.Kind.NOT_JSON).getMessage());
    Files.writeString(manifestFile, "[1, 2]");
    assertEquals(
        manifestFile + ": not a JSON object (found ARRAY)",
        refused(CarrierFormatException.Kind.NOT_JSON).getMessage());
  }

  @Test
  void duplicateKeysAndTrailingGarbageAreNotJson() throws IOException {
    String good = Files.readString(manifestFile);
    Files.writeString(manifestFile, good.replaceFirst("\\{", "{\"keep\": 9,"));
    refused(CarrierFormatException.Kind.NOT_JSON);
    Files.writeString(manifestFile, good + "{}");
    refused(CarrierFormatException.Kind.NOT_JSON);
  }

  @Test
  void foreignFiles() throws IOException {
    Files.writeString(manifestFile, "{\"name\": \"my-package\", \"version\": \"1.0.0\"}");
    assertEquals(
        manifestFile + ": not a carryon carrier manifest (no \"format\": \"carryon-carrier\")",
        refused(CarrierFormatException.Kind.FOREIGN).getMessage());
    edit(o -> o.put("format", "carryon-host"));
    assertEquals(
        manifestFile
            + ": not a carryon carrier manifest (format is \"carryon-host\", expected"
            + " \"carryon-carrier\")",
        refused(CarrierFormatException.Kind.FOREIGN).getMessage());
  }

  /**
   * A newer version is refused whole, by its number. This test, at version 1, asserted that
   * carryon's refusal of the version chunk lists brought: "manifest version 2 is not supported
   * (this carryon reads version 1)", what an old carryon prints for a carrier made by this one.
   */
  @Test
  void unsupportedVersion() throws IOException {
    edit(o -> o.put("version", 3));
    assertEquals(
        manifestFile + ": manifest version 3 is not supported (this carryon reads versions 1 and 2)",
        refused(CarrierFormatException.Kind.UNSUPPORTED_VERSION).getMessage());
  }

  @Test
  void missingFields() throws IOException {
    edit(o -> o.remove("version"));
    assertEquals(
        manifestFile + ": missing field 'version'",
        refused(CarrierFormatException.Kind.MISSING_FIELD).getMessage());
    reset();
    edit(o -> ((ObjectNode) o.get("generations").get(1)).remove("chain"));
    assertEquals(
        manifestFile + ": missing field 'generations[1].chain'",
        refused(CarrierFormatException.Kind.MISSING_FIELD).getMessage());
    reset();
    edit(o -> o.remove("lease"));
    assertEquals(
        manifestFile + ": missing field 'lease'",
        refused(CarrierFormatException.Kind.MISSING_FIELD).getMessage());
    reset();
    edit(o -> ((ObjectNode) o.get("files").get("cow.qcow2")).remove("sha256"));
    assertEquals(
        manifestFile + ": missing field 'files.cow.qcow2.sha256'",
        refused(CarrierFormatException.Kind.MISSING_FIELD).getMessage());
  }

  @Test
  void badValues() throws IOException {
    edit(o -> ((ObjectNode) o.get("vm")).put("memoryMiB", "lots"));
    assertEquals(
        manifestFile + ": field 'vm.memoryMiB' must be a whole number, found \"lots\"",
        refused(CarrierFormatException.Kind.BAD_VALUE).getMessage());
    reset();
    edit(o -> ((ObjectNode) o.get("vm")).put("memoryMiB", 0));
    assertEquals(
        manifestFile + ": vm: memoryMiB (0) must be from 16 to 1048576",
        refused(CarrierFormatException.Kind.BAD_VALUE).getMessage());
    reset();
    edit(o -> ((ObjectNode) o.get("files").get("base.raw")).put("sha256", "XYZ"));
    assertEquals(
        manifestFile + ": files.base.raw: sha256 (XYZ) must be 64 lowercase hex digits",
        refused(CarrierFormatException.Kind.BAD_VALUE).getMessage());
    reset();
    edit(o -> ((ObjectNode) o.get("generations").get(0)).put("created", "yesterday"));
    assertTrue(
        refused(CarrierFormatException.Kind.BAD_VALUE)
            .getMessage()
            .startsWith(manifestFile + ": field 'generations[0].created' must be an ISO-8601"));
    reset();
    edit(o -> o.put("carrierId", "not-a-uuid"));
    refused(CarrierFormatException.Kind.BAD_VALUE);
    reset();
    edit(o -> ((ObjectNode) o.get("lease")).put("color", "blue"));
    assertEquals(
        manifestFile + ": unknown field 'lease.color' (not in manifest version 2)",
        refused(CarrierFormatException.Kind.BAD_VALUE).getMessage());
    reset();
    edit(o -> o.putObject("pending").put("op", "defrag").put("layer", "x").put("into", "y"));
    assertEquals(
        manifestFile + ": pending: unknown pending operation \"defrag\" (known: merge-layer)",
        refused(CarrierFormatException.Kind.BAD_VALUE).getMessage());
  }

  @Test
  void inconsistentManifests() throws IOException {
    edit(o -> o.put("currentGeneration", 2));
    assertEquals(
        manifestFile + ": currentGeneration (2) is not the newest kept generation (3)",
        refused(CarrierFormatException.Kind.INCONSISTENT).getMessage());
    reset();
    edit(o -> ((ArrayNode) o.get("generations").get(2).get("chain")).set(2, "layers/L9.qcow2"));
    assertEquals(
        manifestFile
            + ": generation 3: chain entry 'layers/L9.qcow2' is not a layer numbered above 0 and at"
            + " most 3",
        refused(CarrierFormatException.Kind.INCONSISTENT).getMessage());
    reset();
    edit(o -> ((ArrayNode) o.get("generations").get(2).get("chain")).set(0, "../../etc/passwd"));
    refused(CarrierFormatException.Kind.INCONSISTENT);
    reset();
    edit(
        o ->
            ((ObjectNode) o.get("files"))
                .putObject("layers/L7.qcow2")
                .put("size", 1)
                .put("sha256", SHA_A));
    assertEquals(
        manifestFile + ": files lists 'layers/L7.qcow2', which nothing references",
        refused(CarrierFormatException.Kind.INCONSISTENT).getMessage());
    reset();
    edit(o -> ((ObjectNode) o.get("files")).remove("states/S2.zst"));
    assertEquals(
        manifestFile + ": 'states/S2.zst' is referenced but has no entry in files",
        refused(CarrierFormatException.Kind.INCONSISTENT).getMessage());
    reset();
    edit(
        o ->
            o.putObject("pending")
                .put("op", "merge-layer")
                .put("layer", "layers/L3.qcow2")
                .put("into", "cow.qcow2")
                .putNull("rebase"));
    assertEquals(
        manifestFile
            + ": pending merge of 'layers/L3.qcow2' but it is not the lowest layer of generation 1",
        refused(CarrierFormatException.Kind.INCONSISTENT).getMessage());
    reset();
    // Kept: 1 (bare), 2 and 3; a merge of L2 must rebase L3, the layer above it.
    edit(
        o -> {
          ((ArrayNode) o.get("generations")).remove(0);
          o.putObject("pending")
              .put("op", "merge-layer")
              .put("layer", "layers/L2.qcow2")
              .put("into", "cow.qcow2")
              .putNull("rebase");
        });
    assertEquals(
        manifestFile
            + ": pending merge of 'layers/L2.qcow2' rebases 'null' but the layer above it is"
            + " 'layers/L3.qcow2'",
        refused(CarrierFormatException.Kind.INCONSISTENT).getMessage());
  }

  @Test
  void referencesToMissingFiles() throws IOException {
    Files.delete(carrier.resolve("layers/L2.qcow2"));
    assertEquals(
        manifestFile + ": references layers/L2.qcow2, which does not exist in " + carrier,
        refused(CarrierFormatException.Kind.MISSING_FILE).getMessage());
    Files.delete(manifestFile);
    CarrierException e = assertThrows(CarrierException.class, () -> Fixtures.open(carrier));
    assertEquals(carrier + ": not a carrier (no carryon.json)", e.getMessage());
  }

  /**
   * A crafted carrier's VM fields that would reach QEMU's command line: each kind is refused with
   * a message naming the field (issue 9: a device {@code loader} made QEMU read a host file).
   */
  @Test
  void vmFieldsOutsideWhatCarryonWritesAreRefused() throws IOException {
    Map<String, Consumer<ObjectNode>> cases = new TreeMap<>();
    cases.put("extraDevices[0] (loader,file=/etc/shadow,addr=0x1000000,force-raw=on) is not a"
        + " device type carryon makes", vm -> vm.putArray("extraDevices")
            .add("loader,file=/etc/shadow,addr=0x1000000,force-raw=on"));
    cases.put("extraDevices[1] (usb-tablet,bus=xhci.0) property 'bus' is not one a carrier may"
        + " set", vm -> vm.putArray("extraDevices").add("qemu-xhci").add("usb-tablet,bus=xhci.0"));
    cases.put("extraDevices[0] (virtio-net-pci,mac=52:54:00:12:34:56,,romfile=/etc/shadow) must"
        + " be a device type with its properties", vm -> vm.putArray("extraDevices")
            .add("virtio-net-pci,mac=52:54:00:12:34:56,,romfile=/etc/shadow"));
    cases.put("extraDevices[0] (virtio-net-pci,mac=52:54:00:12:34:56\n-device loader) must be",
        vm -> vm.putArray("extraDevices").add("virtio-net-pci,mac=52:54:00:12:34:56\n-device loader"));
    cases.put("extraDevices[0] (virtio-net-pci,mac=53:54:00:12:34:56) mac (53:54:00:12:34:56) must"
        + " be a unicast MAC", vm -> vm.putArray("extraDevices").add("virtio-net-pci,mac=53:54:00:12:34:56"));
    cases.put("extraDevices[0] (usb-kbd) is a USB device with no qemu-xhci before it",
        vm -> vm.putArray("extraDevices").add("usb-kbd"));
    cases.put("extraDevices[1] (VGA) is a second display", vm -> vm.putArray("extraDevices")
        .add("virtio-vga").add("VGA"));
    cases.put("machineType (pc-q35-7.2,memory-backend=m0) must be a versioned q35 or i440fx",
        vm -> vm.put("machineType", "pc-q35-7.2,memory-backend=m0"));
    cases.put("machineType (microvm) must be", vm -> vm.put("machineType", "microvm"));
    cases.put("machineType (q35) must be", vm -> vm.put("machineType", "q35"));
    cases.put("cpuModel (qemu64,+vmx) must be a CPU model name", vm -> vm.put("cpuModel", "qemu64,+vmx"));
    cases.put("memoryMiB (1048577) must be from 16 to 1048576", vm -> vm.put("memoryMiB", 1048577));
    cases.put("cpus (0) must be from 1 to 255", vm -> vm.put("cpus", 0));
    cases.put("cpus (4096) must be from 1 to 255", vm -> vm.put("cpus", 4096));
    cases.put("diskInterface (ide) must be virtio-blk", vm -> vm.put("diskInterface", "ide"));
    cases.put("append must be at most 2047 printable ASCII characters, found 14 characters with"
        + " control", vm -> vm.put("append", "console=ttyS0\n"));
    cases.put("append must be at most 2047 printable ASCII characters, found 2048 characters",
        vm -> vm.put("append", "x".repeat(2048)));
    for (Map.Entry<String, Consumer<ObjectNode>> c : cases.entrySet()) {
      edit(o -> c.getValue().accept((ObjectNode) o.get("vm")));
      String message = refused(CarrierFormatException.Kind.BAD_VALUE).getMessage();
      assertTrue(message.startsWith(manifestFile + ": vm: " + c.getKey()), message);
      reset();
    }
  }

  @Test
  void aGenerationsQemuIsOptionalOnReadAndStrict() throws IOException {
    edit(o -> ((ObjectNode) o.get("generations").get(0)).remove("qemu"));
    assertEquals(null, Fixtures.open(carrier).manifest().generations().get(0).qemu());
    reset();
    edit(o -> ((ObjectNode) o.get("generations").get(0)).putObject("qemu")
        .put("version", "7.2.22").put("accel", "tcg").put("machineType", "pc-q35-7.2,dump-guest-core=on"));
    assertEquals(
        manifestFile + ": generations[0].qemu: machineType (pc-q35-7.2,dump-guest-core=on) must be a"
            + " versioned q35 or i440fx machine type, like pc-q35-7.2",
        refused(CarrierFormatException.Kind.BAD_VALUE).getMessage());
    reset();
    edit(o -> ((ObjectNode) o.get("generations").get(0)).putObject("qemu")
        .put("version", "7.2.22").put("accel", "hvf").put("machineType", "pc-q35-7.2"));
    assertEquals(
        manifestFile + ": generations[0].qemu: accel (hvf) must be kvm or tcg",
        refused(CarrierFormatException.Kind.BAD_VALUE).getMessage());
  }

  @Test
  void theDevicesCarryonMakesAreRead() throws IOException {
    VmConfig vm = Fixtures.open(carrier).manifest().vm();
    assertEquals(
        List.of(
            VmDevice.of(VmDevice.Type.VIRTIO_VGA),
            VmDevice.of(VmDevice.Type.XHCI),
            VmDevice.of(VmDevice.Type.USB_TABLET),
            VmDevice.nic("52:54:00:12:34:56")),
        vm.devices());
    assertEquals(vm.extraDevices(), vm.devices().stream().map(VmDevice::spec).toList());
  }

  private CarrierFormatException refused(CarrierFormatException.Kind kind) {
    CarrierFormatException e =
        assertThrows(CarrierFormatException.class, () -> Fixtures.open(carrier));
    assertEquals(kind, e.kind(), e.getMessage());
    return e;
  }

  /** The original manifest, back in place. */
  private String original;

  private void edit(Consumer<ObjectNode> change) throws IOException {
    if (original == null) {
      original = Files.readString(manifestFile);
    }
    ObjectNode o = (ObjectNode) JSON.readTree(original);
    change.accept(o);
    Files.writeString(manifestFile, JSON.writeValueAsString(o));
  }

  private void reset() throws IOException {
    Files.writeString(manifestFile, original);
  }
}
