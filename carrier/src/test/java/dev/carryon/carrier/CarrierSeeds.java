package dev.carryon.carrier;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.testdata.fuzz.FuzzInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Carriers made by carryon itself from images qemu-img made (512-byte clusters, so that a whole
 * carrier is a few dozen KiB), for fuzzing the manifest and the carrier: a fresh one; one after
 * two sessions, with a lease held and a sync recorded; and, edited from real manifests, a merge
 * pending and a reset pending (states only a cut leaves on a carrier).
 */
final class CarrierSeeds {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HostIdentity HOME = new HostIdentity("host-home-1", "home-pc");
  private static final HostIdentity OFFICE = new HostIdentity("host-office-2", "office-pc");
  private static final VmConfig VM =
      new VmConfig("pc-q35-7.2", "qemu64", 256, 1, "virtio-blk", null, null, "console=ttyS0", List.of());

  private CarrierSeeds() {}

  /** A named carrier folder. */
  record Made(String name, FuzzInput files) {}

  static List<Made> all(Path dir) throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Path base = src.resolve("disk.qcow2");
    Images.run(0, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", base.toString(), "256K");
    qemuIo(base, "write -P 1 0 4k", "write -P 2 100k 1536", "write -z 8k 1k");
    Path cow = src.resolve("cow.qcow2");
    overlay(base, cow, "write -P 3 2k 1k", "write -c -P 4 64k 512");
    Path kernel = Files.writeString(src.resolve("vmlinuz"), "kernel");
    Path initrd = Files.writeString(src.resolve("initrd"), "initrd");
    Path state = Files.write(src.resolve("state.zst"), new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0, 1, 0, 0});

    List<Made> made = new ArrayList<>();
    Path fresh = dir.resolve("fresh");
    Carrier.create(Fixtures.storage(fresh), new CarrierInit(VM, base, cow, kernel, initrd, state, HOME, "s1", "init", 3), Progress.NONE)
        .close();
    made.add(new Made("fresh carrier (generation 1, kernel, initrd, state)", FuzzInput.read(fresh)));

    Path used = dir.resolve("used");
    FuzzInput three;
    try (Carrier c = Carrier.create(Fixtures.storage(used), new CarrierInit(VM, base, cow, null, null, state, HOME, "s1", "init", 3),
        Progress.NONE)) {
      session(c, HOME, "s2", dir.resolve("work"), "write -P 5 0 512", "write -P 6 200k 2k");
      session(c, OFFICE, "s3", dir.resolve("work"), "write -P 7 1k 512", "write -z 100k 512");
      three = FuzzInput.read(used);
      c.recordSync(new SyncRecord(HOME.hostId(), "/vm/disk.qcow2", 2, c.current().created(), "a".repeat(64)));
      c.takeLease(HOME, "s4");
    }
    made.add(new Made("three generations, lease held, a sync recorded", FuzzInput.read(used)));
    // Generation 1 dropped (keep 2) and the merge of layer 2 into the COW committed, not yet done.
    FuzzInput pending = edit(three.without("states/S1.zst"), o -> {
      ((com.fasterxml.jackson.databind.node.ArrayNode) o.get("generations")).remove(0);
      o.put("keep", 2);
      ((ObjectNode) o.get("files")).remove("states/S1.zst");
      o.putObject("pending").put("op", "merge-layer").put("layer", "layers/L2.qcow2").put("into", "cow.qcow2")
          .put("rebase", "layers/L3.qcow2");
    });
    made.add(new Made("keep 2, a merge of layer 2 pending (as a cut leaves it)", pending));

    Path one = dir.resolve("one");
    try (Carrier c = Carrier.create(Fixtures.storage(one), new CarrierInit(VM, base, cow, null, null, null, HOME, "s1", "init", 1),
        Progress.NONE)) {
      session(c, HOME, "s2", dir.resolve("work1"), "write -P 5 0 512");
    }
    made.add(new Made("keep 1, a reset pending (as a cut leaves it)", edit(FuzzInput.read(one), o -> {
      o.putObject("reset").put("op", "reset").put("into", "base.qcow2").putArray("merge").add("cow.qcow2");
    })));
    return made;
  }

  /** {@code in} with its manifest changed by {@code change}. */
  private static FuzzInput edit(FuzzInput in, java.util.function.Consumer<ObjectNode> change) throws IOException {
    ObjectNode o = (ObjectNode) JSON.readTree(in.get(CarrierFiles.MANIFEST));
    change.accept(o);
    return in.with(CarrierFiles.MANIFEST, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
  }

  /** A session: lease, a local COW over the current top written by qemu-io, the end. */
  private static void session(Carrier c, HostIdentity host, String session, Path work, String... writes)
      throws IOException {
    Files.createDirectories(work);
    c.takeLease(host, session);
    SessionEnd end = c.beginEnd(host, session, c.manifest().currentGeneration());
    Path local = work.resolve(session + ".qcow2");
    overlay(Fixtures.file(c, c.current().top()), local, writes);
    end.copyLayer(local, Progress.NONE);
    end.copyState(Files.write(work.resolve(session + ".zst"), new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}),
        Progress.NONE);
    c.commitGeneration(end, "end of " + session);
  }

  private static void overlay(Path backing, Path overlay, String... writes) throws IOException {
    Images.run(0, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "-b", backing.toString(),
        "-F", "qcow2", overlay.toString());
    qemuIo(overlay, writes);
  }

  private static void qemuIo(Path image, String... commands) throws IOException {
    List<String> args = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
    for (String command : commands) {
      args.add("-c");
      args.add(command);
    }
    args.add(image.toString());
    Images.run(0, args.toArray(String[]::new));
  }
}
