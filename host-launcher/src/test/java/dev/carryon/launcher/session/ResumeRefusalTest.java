package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.bootMarkers;
import static dev.carryon.launcher.session.SessionKit.fingerprint;
import static dev.carryon.launcher.session.SessionKit.firstTick;
import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.storage.ReadAhead;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code resume} refuses, with real QEMU: a carrier leased by another host, a damaged file,
 * a generation this host's QEMU cannot run or cannot restore. Each refusal names what is wrong and
 * leaves the carrier byte for byte as it was, without a lease.
 */
class ResumeRefusalTest {
  @TempDir static Path root;

  /** A carrier at generation 2 (a RAM state saved from a running guest); tests work on copies. */
  private static TestCarrier made;
  /** The guest's boot id in {@link #made}'s state, and its last tick before the save. */
  private static ConsoleLog.Tick saved;

  @BeforeAll
  static void makeCarrier() throws Exception {
    TestHost maker = host(root, "maker");
    made = SessionKit.initCarrier(maker, root.resolve("made"));
    maker.resume(made, root.resolve("made.log"));
    ConsoleLog console = new ConsoleLog(root.resolve("made.log"));
    tickAbove(console, 1);
    maker.end(made);
    saved = console.lastTick().orElseThrow();
  }

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  private static TestCarrier copy(String name) throws Exception {
    return SessionKit.copyCarrier(made, name);
  }

  @Test
  void theStateFetchedAsTheManifestIsReadIsHandedOverOnlyAsRecorded() throws Exception {
    CarrierStorage storage = FolderStorage.of(made.folder());
    ResumeSession.Request request =
        new ResumeSession.Request(storage, null, null, false, true, null, null, null, List.of());
    EarlyStateFetch early = EarlyStateFetch.of(request, 1L << 30);
    Carrier carrier = Carrier.openUnproven(storage, early::start);
    Generation g = carrier.current();
    FileRecord recorded = carrier.manifest().files().get(g.state());
    // Another version of the state (or another state) is not what was fetched: dropped.
    FileRecord other = new FileRecord(recorded.size() + 1, recorded.sha256());
    assertNull(early.take(g.state(), other));
    assertNull(early.take(g.state(), recorded), "dropped, not kept for a later take");

    EarlyStateFetch again = EarlyStateFetch.of(request, 1L << 30);
    Carrier.openUnproven(storage, again::start);
    try (ReadAhead fetched = again.take(g.state(), recorded)) {
      assertArrayEquals(Files.readAllBytes(made.resolve(g.state())), fetched.readAllBytes());
    }
    assertNull(again.take(g.state(), recorded), "handed over once");

    // A cold boot restores no state: nothing is fetched for it.
    EarlyStateFetch cold =
        EarlyStateFetch.of(
            new ResumeSession.Request(storage, null, null, true, true, null, null, null, List.of()),
            1L << 30);
    Carrier.openUnproven(storage, cold::start);
    assertNull(cold.take(g.state(), recorded));
  }

  @Test
  void aSecondHostIsRefusedWhileTheLeaseIsHeldUntilItIsBroken() throws Exception {
    TestCarrier carrier = copy("leased");
    TestHost a = host(root, "leaseA");
    TestHost b = host(root, "leaseB");
    a.resume(carrier, root.resolve("leaseA.log"));
    String sessionA = a.status(carrier).get("session").get("id").asText();
    Map<String, String> before = fingerprint(carrier);

    String refusal = b.run("resume", carrier.toString(), "--detach").expect(ExitCodes.REFUSED).errorLine();
    assertTrue(refusal.contains(carrier.toString()), refusal);
    assertTrue(refusal.contains("host leaseA"), refusal);
    assertTrue(refusal.contains("session " + sessionA), refusal);
    assertTrue(refusal.contains("carryon lease break"), refusal);
    assertEquals(before, fingerprint(carrier));

    assertTrue(
        b.run("lease", "break", carrier.toString(), "--yes").expect(0).out().contains(sessionA));
    b.resume(carrier, root.resolve("leaseB.log"));
    ConsoleLog onB = new ConsoleLog(root.resolve("leaseB.log"));
    ConsoleLog.Tick first = firstTick(onB);
    assertEquals(saved.bootId(), first.bootId());
    assertTrue(first.n() > saved.n());
    b.end(carrier);
    assertEquals(3, b.status(carrier).get("generation").asLong());

    // Host A's session lost its lease: it can still be dropped, without touching the carrier.
    before = fingerprint(carrier);
    a.run("end", "--discard", carrier.toString()).expect(0);
    assertEquals(before, fingerprint(carrier));
    assertEquals(List.of(), SessionKit.qemusUnder(a.home()));
    // Run again, the end says the session is over and how, and changes nothing.
    String again = a.run("end", carrier.toString()).expect(ExitCodes.OK).out();
    assertTrue(again.contains(" already ended (aborted at "), again);
    assertEquals(before, fingerprint(carrier));
  }

  /**
   * What resume checks: the RAM state (as it streams into QEMU, the guest never continued), the
   * files QEMU reads whole (the kernel as it is copied into the host's cache: each case runs on a
   * host of its own, since a host that already holds the verified kernel never reads the carrier's
   * again), and each image's chunk list (an image's own bytes are checked chunk by chunk as QEMU
   * reads them: LazyResumeTest).
   */
  @Test
  void aDamagedFileIsRefusedByNameAndNothingChanges() throws Exception {
    TestCarrier carrier = copy("damaged");
    JsonNode lists =
        new ObjectMapper().readTree(carrier.resolve("carryon.json").toFile()).path("chunks").path("lists");
    String l2List = "chunks/" + lists.path("layers/L2.qcow2").asText();
    List<String> damaged = List.of("states/S2.zst", "vmlinuz", l2List, "states/S2.png");
    for (String name : damaged) {
      TestHost b = host(root, "damageB" + damaged.indexOf(name));
      Path file = carrier.resolve(name);
      byte[] original = Files.readAllBytes(file);
      SessionKit.flipByte(file, original.length / 2);
      Map<String, String> before = fingerprint(carrier);

      String refusal =
          b.run("resume", carrier.toString(), "--detach").expect(ExitCodes.BAD_INPUT).errorLine();
      assertTrue(refusal.contains(carrier.toString()) && refusal.contains(name), refusal);
      assertTrue(refusal.contains("SHA-256"), refusal);
      if (name.equals(l2List)) {
        assertTrue(refusal.contains("failed validation and was not resumed: layers/L2.qcow2: "), refusal);
      }
      assertEquals(before, fingerprint(carrier), "carrier changed by the refused resume");
      assertTrue(b.status(carrier).get("session").isNull());
      Files.write(file, original);
    }
    assertEquals(List.of(), SessionKit.qemusUnder(root.resolve("damaged")));
  }

  @Test
  void aDamagedScreenshotOverALinkIsRefusedByNameAndNothingChanges() throws Exception {
    TestCarrier copy = copy("damagedServed");
    try (CarrierPlace place = CarrierPlace.of(CarrierPlace.Storage.SERVED, copy.folder())) {
      TestCarrier served = place.carrier();
      TestHost b = place.host(root, "damagedServedB");
      // Not checked up front over a link: fetched into the host's cache, checked as it arrives.
      SessionKit.flipByte(served.resolve("states/S2.png"), 100);
      Map<String, String> before = fingerprint(served);
      String refusal =
          b.run("resume", served.toString(), "--detach").expect(ExitCodes.BAD_INPUT).errorLine();
      assertTrue(refusal.contains(served.toString()) && refusal.contains("states/S2.png"), refusal);
      assertTrue(refusal.contains("SHA-256") && refusal.contains("nothing of it is kept"), refusal);
      assertEquals(before, fingerprint(served), "carrier changed by the refused resume");
      assertTrue(b.status(served).get("session").isNull());
    }
    assertEquals(List.of(), SessionKit.qemusUnder(root.resolve("damagedServed")));
  }

  @Test
  void aMachineTypeThisQemuLacksIsRefusedEvenForAColdBoot() throws Exception {
    TestCarrier carrier = copy("machine");
    editManifest(carrier, "\"machineType\" : \"pc-q35-7.2\"", "\"machineType\" : \"pc-q35-99.9\"");
    TestHost b = host(root, "machineB");
    Map<String, String> before = fingerprint(carrier);
    for (List<String> extra : List.of(List.<String>of(), List.of("--cold-boot"))) {
      String refusal =
          b.run(args(carrier, extra)).expect(ExitCodes.REFUSED).errorLine();
      assertTrue(refusal.contains("no machine type pc-q35-99.9"), refusal);
      assertTrue(
          refusal.contains("--cold-boot --machine pc-q35-7.2"),
          "a cold boot needs a machine type this host has: " + refusal);
      assertEquals(before, fingerprint(carrier));
    }
  }

  @Test
  void aStateThisQemuCannotLoadIsRefusedAndColdBootsOnRequest() throws Exception {
    // A state QEMU rejects at load time (as one saved by another QEMU version can be): here the
    // recorded RAM size no longer matches the state's, which QEMU only finds while loading.
    TestCarrier carrier = copy("unloadable");
    editManifest(carrier, "\"memoryMiB\" : 256", "\"memoryMiB\" : 320");
    TestHost b = host(root, "coldB");
    Map<String, String> before = fingerprint(carrier);

    String refusal = b.run(args(carrier, List.of())).expect(ExitCodes.REFUSED).errorLine();
    assertTrue(refusal.contains("could not restore generation 2"), refusal);
    assertTrue(refusal.contains("mismatch"), refusal);
    assertTrue(refusal.contains("--cold-boot"), refusal);
    assertEquals(before, fingerprint(carrier));
    assertTrue(b.status(carrier).get("session").isNull());

    Run cold = b.resume(carrier, root.resolve("cold.log"), "--cold-boot");
    assertTrue(cold.err().contains("warning: cold boot of generation 2"), cold.toString());
    assertTrue(cold.out().contains("cold-booted generation 2"), cold.toString());
    ConsoleLog console = new ConsoleLog(root.resolve("cold.log"));
    console.waitFor(ConsoleLog.BOOT, SessionKit.BOOT);
    ConsoleLog.BootMarker marker = console.bootMarker().orElseThrow();
    assertEquals(2, marker.boot());
    assertNotEquals(saved.bootId(), marker.bootId());
    assertEquals(1, bootMarkers(console).size());
    tickAbove(console, 1);
    b.end(carrier);
    assertEquals(3, b.status(carrier).get("generation").asLong());
  }

  private static String[] args(TestCarrier carrier, List<String> extra) {
    List<String> args = new java.util.ArrayList<>(List.of("resume", carrier.toString(), "--detach"));
    args.addAll(extra);
    return args.toArray(String[]::new);
  }

  /** Replaces {@code from} by {@code to} in the manifest text (it has no checksum of its own). */
  private static void editManifest(TestCarrier carrier, String from, String to)
      throws Exception {
    Path manifest = carrier.resolve("carryon.json");
    String text = Files.readString(manifest);
    assertTrue(text.contains(from), text);
    Files.writeString(manifest, text.replace(from, to));
  }
}
