package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.bootMarkers;
import static dev.carryon.launcher.session.SessionKit.firstTick;
import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.qemuImg;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The user's story with the real test guest and the CLI run as child processes: sessions move
 * between hosts and checkpoints without the guest rebooting, and the carrier stays well-formed for
 * qemu-img at every generation.
 */
class SessionStoryTest {
  @TempDir static Path root;

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  /** The two-host story on a folder carrier and on the same carrier served over HTTP. */
  @ParameterizedTest
  @EnumSource(CarrierPlace.Storage.class)
  void aSessionMovesToAnotherHostAndContinuesWithoutRebooting(CarrierPlace.Storage storage)
      throws Exception {
    Path dir = Files.createDirectories(root.resolve("two-hosts-" + storage));
    try (CarrierPlace place = CarrierPlace.of(storage, dir.resolve("carrier"))) {
      twoHosts(dir, place);
    }
  }

  private static void twoHosts(Path dir, CarrierPlace place) throws Exception {
    TestHost a = place.host(dir, "hostA");
    TestHost b = place.host(dir, "hostB");
    TestCarrier carrier = place.carrier();
    // synctick=1: every tick line reaches the guest's disk, where the search below finds it.
    SessionKit.init(a, carrier, "--append", SessionKit.APPEND + " synctick=1");

    assertTrue(a.resume(carrier, dir.resolve("A.log")).out().contains("cold-booted generation 1"));
    ConsoleLog onA = new ConsoleLog(dir.resolve("A.log"));
    onA.waitFor(ConsoleLog.BOOT, SessionKit.BOOT);
    ConsoleLog.BootMarker boot = onA.bootMarker().orElseThrow();
    tickAbove(onA, 2);
    a.end(carrier);
    ConsoleLog.Tick lastOnA = onA.lastTick().orElseThrow();
    // A user who is not sure the end finished runs it again: it says so and changes nothing.
    String again = a.run("end", carrier.toString()).expect(0).out();
    assertTrue(
        Pattern.compile("(?m)^session \\S+ already ended: generation 2 was committed; nothing to do$")
            .matcher(again)
            .find(),
        again);
    assertEquals(2, a.status(carrier).get("generation").asLong());

    String resumedOnB = b.resume(carrier, dir.resolve("B.log")).out();
    assertTrue(resumedOnB.contains("resumed generation 2"), resumedOnB);
    // Each step on a line of its own, with its time (and the bytes fetched from a server).
    for (String step :
        List.of("check generation 2 and this host's QEMU", "take the lease",
            "make the local COW and start QEMU", "restore the RAM state states/S2.zst")) {
      assertTrue(
          Pattern.compile("(?m)^  " + Pattern.quote(step) + " +\\d+\\.\\d\\d s(  [\\d,]+ bytes)?$").matcher(resumedOnB).find(),
          () -> step + " missing from:\n" + resumedOnB);
    }
    ConsoleLog onB = new ConsoleLog(dir.resolve("B.log"));
    ConsoleLog.Tick firstOnB = firstTick(onB);
    hoardedWhileTheGuestRuns(b, carrier);
    assertTrue(firstOnB.n() > lastOnA.n(), () -> "B's first " + firstOnB + " after A's last " + lastOnA);
    assertEquals(boot.bootId(), firstOnB.bootId());
    tickAbove(onB, firstOnB.n() + 1);
    b.end(carrier);
    assertEquals(List.of(), bootMarkers(onB), "the guest rebooted on host B");

    JsonNode status = a.status(carrier);
    assertEquals(3, status.get("generation").asLong());
    assertTrue(status.get("session").isNull());
    assertEquals(place.describe("layers/L3.qcow2"), status.get("disk").asText());
    List<Long> numbers = new ArrayList<>();
    for (JsonNode g : status.get("checkpoints")) {
      numbers.add(g.get("generation").asLong());
      assertEquals(g.get("generation").asLong() == 3, g.get("current").asBoolean());
      // Generation 1 was made by init: no RAM state, its first resume cold-boots.
      assertEquals(g.get("generation").asLong() == 1, g.get("state").isNull());
    }
    assertEquals(List.of(1L, 2L, 3L), numbers);

    // The guest's strings are in the plain carrier's files: the search that finds none in an
    // encrypted carrier's (EncryptedSessionTest) works.
    CarrierSearch.assertSomeFileHolds(carrier.folder(),
        List.of("bootid=" + boot.bootId(), "TICK " + lastOnA.n() + " bootid=" + boot.bootId()));

    a.run("verify", carrier.toString()).expect(0);
    List<String> chain = new ArrayList<>();
    status.get("checkpoints").get(2).get("chain").forEach(n -> chain.add(n.asText()));
    assertEquals(List.of("base.qcow2", "cow.qcow2", "layers/L2.qcow2", "layers/L3.qcow2"), chain);
    for (String image : chain) {
      qemuImg(0, "check", carrier.resolve(image).toString());
    }
    assertEquals(chain, backingChain(carrier.folder(), carrier.resolve("layers/L3.qcow2")));

    Path exported = dir.resolve("exported");
    a.run("export", carrier.toString(), "--guest-path", "/bootcount", "--to", exported.toString())
        .expect(0);
    assertEquals("1", Files.readString(exported.resolve("bootcount")).strip());
    if (place.server() != null) {
      secondResumeFetchesOnlyWhatTheCacheLacks(dir, a, carrier);
    }
  }

  /**
   * The session keeper of {@code host}'s session runs and, once the guest runs, copies the whole
   * chain onto the host: {@code status} counts the bytes left down to 0 and then says the carrier
   * may be unplugged without stopping the guest.
   */
  private static void hoardedWhileTheGuestRuns(TestHost host, TestCarrier carrier) throws Exception {
    long deadline = System.nanoTime() + SessionKit.BOOT.toNanos();
    JsonNode keeper;
    do {
      keeper = host.status(carrier).get("keeper");
      assertTrue(keeper.get("alive").asBoolean(), keeper::toString);
      if (keeper.get("unpluggable").asBoolean()) {
        break;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    assertTrue(keeper.get("unpluggable").asBoolean(), keeper::toString);
    assertEquals(0, keeper.get("hoard_remaining").asLong(), keeper::toString);
    assertTrue(keeper.get("hoard_total").asLong() > 0, keeper::toString);
    assertEquals(List.of(), toList(keeper.get("problems")));
    String text = host.run("status", carrier.toString()).expect(0).out();
    assertTrue(text.contains("the carrier may be unplugged without stopping the guest"), text);
  }

  private static List<String> toList(JsonNode array) {
    List<String> list = new ArrayList<>();
    array.forEach(n -> list.add(n.asText()));
    return list;
  }

  /**
   * Host A resumes generation 3 (made on B) again, from the server: the chain comes through the
   * session keeper chunk by chunk into A's chunk store, never whole into the host cache, and no
   * chunk A already holds by content (its first session hoarded base and COW) is read again:
   * every chunk new in A's store is one of the two layers A never read (L2, which A's own end
   * wrote, and B's L3).
   */
  private static void secondResumeFetchesOnlyWhatTheCacheLacks(
      Path dir, TestHost a, TestCarrier carrier) throws Exception {
    Path chunks = a.home().resolve("chunks");
    Set<String> before = names(chunks);
    a.resume(carrier, dir.resolve("A-again.log"));
    hoardedWhileTheGuestRuns(a, carrier);
    a.run("end", carrier.toString(), "--discard").expect(0);
    Set<String> fetched = names(chunks);
    fetched.removeAll(before);
    Set<String> layers = new HashSet<>();
    layers.addAll(chunkHashes(carrier.resolve("layers/L2.qcow2")));
    layers.addAll(chunkHashes(carrier.resolve("layers/L3.qcow2")));
    assertFalse(fetched.isEmpty(), "nothing read of the layers A lacked");
    assertTrue(layers.containsAll(fetched), () -> fetched + " not all of " + layers);
    Set<String> cached = names(a.home().resolve("cache").resolve("sha256"));
    for (String image : List.of("base.qcow2", "cow.qcow2", "layers/L2.qcow2", "layers/L3.qcow2")) {
      assertFalse(cached.contains(SessionKit.sha256(carrier.resolve(image))), image + " copied whole");
    }
  }

  /** The SHA-256 of each 64 KiB chunk of {@code file}, as the chunk store names them. */
  private static Set<String> chunkHashes(Path file) throws Exception {
    Set<String> hashes = new HashSet<>();
    byte[] bytes = Files.readAllBytes(file);
    for (int at = 0; at < bytes.length; at += 64 << 10) {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      md.update(bytes, at, Math.min(64 << 10, bytes.length - at));
      hashes.add(java.util.HexFormat.of().formatHex(md.digest()));
    }
    return hashes;
  }

  private static Set<String> names(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(HashSet::new));
    }
  }

  @Test
  void twoEndsOnOneHostThenAnOlderCheckpointAbandonsTheNewerOne() throws Exception {
    Path dir = Files.createDirectories(root.resolve("one-host"));
    TestHost a = host(dir, "hostA");
    TestCarrier carrier = SessionKit.initCarrier(a, dir.resolve("carrier"));

    a.resume(carrier, dir.resolve("1.log"));
    ConsoleLog first = new ConsoleLog(dir.resolve("1.log"));
    String bootId = firstTick(first).bootId();
    tickAbove(first, 2);
    a.end(carrier);
    ConsoleLog.Tick atGen2 = first.lastTick().orElseThrow();

    a.resume(carrier, dir.resolve("2.log"));
    ConsoleLog second = new ConsoleLog(dir.resolve("2.log"));
    assertEquals(bootId, firstTick(second).bootId());
    tickAbove(second, atGen2.n() + 3);
    a.end(carrier);
    ConsoleLog.Tick atGen3 = second.lastTick().orElseThrow();
    assertEquals(3, a.status(carrier).get("generation").asLong());

    // The session's writes reached the carrier: the top reads differently from the base and holds
    // the boot count the guest synced at boot. Its ticks are written without a sync: those that
    // left the guest's page cache are this boot's and no later than the last one printed.
    Path top = carrier.resolve("layers/L3.qcow2");
    qemuImg(1, "compare", "-q", carrier.resolve("base.qcow2").toString(), top.toString());
    Path raw = dir.resolve("gen3.raw");
    qemuImg(0, "convert", "-O", "raw", top.toString(), raw.toString());
    assertEquals("1", guestFile(raw, "/bootcount").strip());
    List<String> onDisk =
        guestFile(raw, "/ticks.log").lines().filter(l -> l.startsWith("TICK ")).toList();
    System.err.println("ticks on the disk of generation 3: " + onDisk.size() + " of " + atGen3.n());
    for (String line : onDisk) {
      assertTrue(line.endsWith(" bootid=" + bootId), line);
      assertTrue(Long.parseLong(line.split(" ")[1]) <= atGen3.n(), line);
    }
    Files.delete(raw);

    a.resume(carrier, dir.resolve("3.log"), "--checkpoint", "2");
    ConsoleLog third = new ConsoleLog(dir.resolve("3.log"));
    ConsoleLog.Tick resumed = firstTick(third);
    assertEquals(bootId, resumed.bootId());
    assertTrue(
        resumed.n() > atGen2.n() && resumed.n() < atGen3.n(),
        () -> "generation 2 ended at " + atGen2 + ", 3 at " + atGen3 + "; resumed at " + resumed);
    tickAbove(third, resumed.n() + 1);
    String ended = a.end(carrier).out();
    assertTrue(ended.contains("generation 4 committed"), ended);
    assertTrue(ended.contains("abandoned [3]"), ended);
    assertEquals(List.of(), bootMarkers(third));

    JsonNode status = a.status(carrier);
    assertEquals(4, status.get("generation").asLong());
    List<Long> kept = new ArrayList<>();
    status.get("checkpoints").forEach(g -> kept.add(g.get("generation").asLong()));
    assertEquals(List.of(1L, 2L, 4L), kept);
    assertEquals(2, status.get("checkpoints").get(2).get("parent").asLong());
    assertFalse(Files.exists(carrier.resolve("layers/L3.qcow2")));
    assertFalse(Files.exists(carrier.resolve("states/S3.zst")));
    a.run("verify", carrier.toString()).expect(0);
    assertEquals(
        List.of("base.qcow2", "cow.qcow2", "layers/L2.qcow2", "layers/L4.qcow2"),
        backingChain(carrier.folder(), carrier.resolve("layers/L4.qcow2")));
  }

  /** A file of the guest's ext4 disk {@code raw}, read with debugfs ("" when absent). */
  static String guestFile(Path raw, String file) throws Exception {
    Process p =
        new ProcessBuilder("debugfs", "-R", "cat " + file, raw.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "debugfs cat " + file);
    return out;
  }

  /** The chain qemu-img follows from {@code top}, as carrier names, base first. */
  static List<String> backingChain(Path carrier, Path top) throws Exception {
    JsonNode info =
        new ObjectMapper()
            .readTree(qemuImg(0, "info", "--backing-chain", "--output=json", top.toString()));
    List<String> names = new ArrayList<>();
    for (JsonNode image : info) {
      names.add(0, carrier.relativize(Path.of(image.get("filename").asText()).normalize()).toString());
    }
    return names;
  }
}
