package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.firstTick;
import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.carryon.carrier.keys.CarrierKey;
import dev.carryon.carrier.keys.KeySlots;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.host.NativeLibraries;
import dev.carryon.launcher.qemu.DiskKey;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ByteSearch;
import dev.carryon.testdata.ConsoleLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-host story on an encrypted carrier: the session moves between hosts as on a plain one;
 * its disk images are LUKS qcow2 that qemu-img checks and reads with the key as the engine does,
 * and no carrier file holds the guest's boot id or tick lines, which its disk holds;
 * its RAM states hold none of the guest's strings, which the same search finds in them once
 * opened with the key; a wrong or missing passphrase, an altered manifest and a flipped state byte
 * are refused with nothing written; the passphrase changes without touching another file. And
 * everything carryon makes on a host and on the carrier is its owner's only, even for a user whose
 * umask gives every file to everyone (000).
 */
class EncryptedSessionTest {
  @TempDir static Path root;

  /**
   * Points zstd-jni, which {@link #opened} loads in this JVM, at a folder of this class: a test
   * before it in the JVM may have pointed it at a host folder since deleted.
   */
  @BeforeAll
  static void nativeLibrariesHere() throws IOException {
    NativeLibraries.useCacheIn(HostHome.at(Files.createDirectories(root.resolve("this-jvm"))));
  }

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  /**
   * The story on a folder carrier and on the same carrier served over HTTP: the server stores
   * only ciphertext and is given no key.
   */
  @ParameterizedTest
  @EnumSource(CarrierPlace.Storage.class)
  void aSessionMovesBetweenHostsOnAnEncryptedCarrier(CarrierPlace.Storage storage)
      throws Exception {
    Path dir = Files.createDirectories(root.resolve(storage.toString()));
    try (CarrierPlace place = CarrierPlace.of(storage, dir.resolve("carrier"))) {
      story(dir, place, storage == CarrierPlace.Storage.FOLDER);
    }
  }

  /** The story in {@code dir}; on a folder carrier, {@code refusals} too. */
  private static void story(Path dir, CarrierPlace place, boolean refusals) throws Exception {
    Path pass = Files.writeString(dir.resolve("pass"), "correct horse battery\n");
    Path wrong = Files.writeString(dir.resolve("wrong"), "incorrect horse\n");
    Map<String, String> withPass = Map.of("CARRYON_PASSPHRASE_FILE", pass.toString());
    // Host A's user gives every file to everyone (umask 000): carryon's files stay private anyway.
    TestHost a = withEnv(place.host(dir, "hostA"), withPass).withUmask("000");
    TestHost b = withEnv(place.host(dir, "hostB"), withPass);
    TestCarrier carrier = place.carrier();
    // synctick=1: every tick line reaches the guest's disk, where the search below looks for it.
    SessionKit.init(a, carrier, "--encrypt", "--append", SessionKit.APPEND + " synctick=1");
    assertPrivate(a.home(), "catalog.db");
    assertPrivate(carrier.folder(), KeySlots.FILE, "carryon.json", "base.qcow2", "cow.qcow2");

    if (refusals) {
      // No passphrase and no terminal, or a wrong one: exit 3, and nothing is written.
      TestHost bare = host(dir, "bare");
      Map<String, String> before = SessionKit.fingerprint(carrier);
      assertTrue(bare.run("status", carrier.toString()).expect(ExitCodes.BAD_INPUT).errorLine()
          .contains("the carrier is encrypted: give its passphrase with --passphrase-file FILE or"
              + " CARRYON_PASSPHRASE_FILE"));
      assertEquals("carryon: " + carrier.resolve(KeySlots.FILE) + ": wrong passphrase (it opens"
          + " none of the 1 key slot)",
          bare.run("resume", carrier.toString(), "--detach", "--passphrase-file", wrong.toString())
              .expect(ExitCodes.BAD_INPUT).errorLine());
      assertEquals(before, SessionKit.fingerprint(carrier));
    }

    a.resume(carrier, dir.resolve("A.log"));
    ConsoleLog onA = new ConsoleLog(dir.resolve("A.log"));
    onA.waitFor(ConsoleLog.BOOT, SessionKit.BOOT);
    String bootId = onA.bootMarker().orElseThrow().bootId();
    tickAbove(onA, 2);
    // While it runs: the session's work folder, its local COW and its QEMU record.
    String work = "sessions/" + a.status(carrier).get("session").get("id").asText() + "/";
    // QEMU's disk secret is in a file of the work folder, never on its command line.
    assertPrivate(a.home(), work + ResumeSession.LOCAL_COW, work + SessionQemu.FILE,
        work + DiskKey.FILE);
    a.end(carrier);
    assertFalse(Files.exists(a.home().resolve(work)), "the work folder and its secret are left");
    assertPrivate(a.home(), "catalog.db");
    assertPrivate(carrier.folder(), "states/S2.zst", "layers/L2.qcow2");
    ConsoleLog.Tick lastOnA = onA.lastTick().orElseThrow();

    String resumedOnB = b.resume(carrier, dir.resolve("B.log")).out();
    assertTrue(resumedOnB.contains("resumed generation 2"), resumedOnB);
    ConsoleLog onB = new ConsoleLog(dir.resolve("B.log"));
    ConsoleLog.Tick firstOnB = firstTick(onB);
    assertEquals(bootId, firstOnB.bootId());
    assertTrue(firstOnB.n() > lastOnA.n(), () -> firstOnB + " after " + lastOnA);
    // The session keeper holds the key resume unlocked: end is given no passphrase, and needs none.
    place.host(dir, "hostB").end(carrier);
    assertEquals(List.of(), SessionKit.bootMarkers(onB), "the guest rebooted on host B");

    // The disk images are LUKS qcow2: the oracle checks each with the key, and reads the chain as
    // the engine does; the guest's tick lines are on its disk, and in no file of the carrier.
    List<String> chain = currentChain(a.status(carrier));
    assertEquals(List.of("base.qcow2", "cow.qcow2", "layers/L2.qcow2", "layers/L3.qcow2"), chain);
    CarrierLuks luks =
        CarrierLuks.of(carrier.folder(), "correct horse battery", dir.resolve("disk.secret"));
    for (String image : chain) {
      luks.check(carrier.resolve(image));
    }
    Path top = carrier.resolve(chain.get(chain.size() - 1));
    Path engine = dir.resolve("engine.raw");
    luks.engineView(top, engine);
    assertTrue(luks.sameContent(top, engine), "qemu-img and the engine read the chain apart");
    String tickOnA = "TICK " + lastOnA.n() + " bootid=" + bootId;
    byte[] disk = Files.readAllBytes(luks.toRaw(top, dir.resolve("qemu.raw")));
    assertTrue(contains(disk, tickOnA), "the guest's disk, read with the key, lacks " + tickOnA);
    CarrierSearch.assertNoFileHolds(carrier.folder(), List.of("bootid=" + bootId, tickOnA));

    // The states hold none of the guest's strings; opened with the key, the same search finds them.
    byte[] key = KeySlots.parse(Files.readAllBytes(carrier.resolve(KeySlots.FILE)), "keys")
        .unlock("correct horse battery".toCharArray(), "keys").derive(CarrierKey.STATE_CIPHER);
    List<String> strings = List.of("bootid=" + bootId, "TICK ");
    for (String state : List.of("states/S2.zst", "states/S3.zst")) {
      byte[] stored = Files.readAllBytes(carrier.resolve(state));
      byte[] opened = opened(carrier.resolve(state), key);
      for (String s : strings) {
        assertFalse(contains(stored, s), state + " holds '" + s + "' in clear");
        assertTrue(contains(opened, s), state + " opened with the key holds no '" + s + "'");
      }
    }

    if (refusals) {
      keeperGoneAsksForThePassphrase(b, place.host(dir, "hostB"), carrier, dir);
      damageIsRefused(a, carrier, dir);
    }
  }

  /**
   * On the encrypted carrier {@code carrier} (a folder) after the story: damaged files and an
   * altered manifest are refused with nothing written; a new passphrase changes only the key slots.
   */
  private static void damageIsRefused(TestHost a, TestCarrier carrier, Path dir) throws Exception {
    // A flipped state byte, a cut state, altered chunk lists: each refused by the sealed
    // manifest's checksums, the guest never continued and nothing left written. (An altered image
    // cluster fails its chunk's hash as QEMU reads it: an I/O error, LazyResumeTest.)
    String lists;
    try (Stream<Path> files = Files.list(carrier.resolve("chunks"))) {
      // The sealed manifest does not say which list is whose: every one is damaged.
      lists = files.map(p -> "chunks/" + p.getFileName()).sorted().collect(Collectors.joining(" "));
    }
    for (String damage : List.of("flip states/S3.zst", "cut states/S3.zst", "flip " + lists)) {
      List<String> names = List.of(damage.substring(damage.indexOf(' ') + 1).split(" "));
      String name = names.get(0);
      TestCarrier copy =
          SessionKit.copyCarrier(
              carrier, damage.substring(0, Math.min(40, damage.length())).replaceAll("[ /.]", "-"));
      for (String one : names) {
        try (RandomAccessFile f = new RandomAccessFile(copy.resolve(one).toFile(), "rw")) {
          long at = f.length() / 2;
          if (damage.startsWith("cut")) {
            f.setLength(at);
          } else {
            f.seek(at);
            int v = f.read();
            f.seek(at);
            f.write(v ^ 0x10);
          }
        }
      }
      Map<String, String> damaged = SessionKit.fingerprint(copy);
      String refusal = a.run("resume", copy.toString(), "--detach").expect(ExitCodes.BAD_INPUT)
          .errorLine();
      // A state is checked as it streams into QEMU (the sealed chunks, then its SHA-256): the
      // guest is never continued; the chunk lists up front (an image's bytes as QEMU reads them).
      String expected =
          name.startsWith("states/")
              ? "hibernation state " + copy.resolve(name)
              : "failed validation and was not resumed: base.qcow2: ";
      assertTrue(refusal.contains(expected), refusal);
      assertEquals(damaged, SessionKit.fingerprint(copy), damage);
    }

    // An altered manifest is refused, by every command.
    TestCarrier altered = SessionKit.copyCarrier(carrier, "altered");
    Path manifest = altered.resolve("carryon.json");
    Files.writeString(manifest, Files.readString(manifest).replace("\"keep\" : 3", "\"keep\" : 30"));
    Map<String, String> alteredBefore = SessionKit.fingerprint(altered);
    assertEquals("carryon: " + manifest + ": the manifest's seal does not match its content under"
        + " this carrier's key: it was altered, and is refused",
        a.run("resume", altered.toString(), "--detach").expect(ExitCodes.BAD_INPUT).errorLine());
    a.run("status", altered.toString()).expect(ExitCodes.BAD_INPUT);
    assertEquals(alteredBefore, SessionKit.fingerprint(altered));

    // A new passphrase: only the key slots change; the old one no longer opens the carrier.
    Path next = Files.writeString(dir.resolve("next"), "new passphrase\n");
    Map<String, String> files = SessionKit.fingerprint(carrier);
    a.run("passphrase", carrier.toString(), "--new-passphrase-file", next.toString()).expect(0);
    Map<String, String> changed = SessionKit.fingerprint(carrier);
    assertFalse(files.get(KeySlots.FILE).equals(changed.get(KeySlots.FILE)));
    files.remove(KeySlots.FILE);
    changed.remove(KeySlots.FILE);
    assertEquals(files, changed);
    a.run("status", carrier.toString()).expect(ExitCodes.BAD_INPUT);
    a.run("verify", carrier.toString(), "--passphrase-file", next.toString()).expect(0);
  }

  /**
   * A session whose keeper was killed: its key went with it, so end (on {@code bare}, given no
   * passphrase) refuses as any command does, and ends with the passphrase ({@code withPass}).
   */
  private static void keeperGoneAsksForThePassphrase(
      TestHost withPass, TestHost bare, TestCarrier carrier, Path dir) throws Exception {
    withPass.resume(carrier, dir.resolve("B2.log"));
    String work = "sessions/" + withPass.status(carrier).get("session").get("id").asText() + "/";
    long keeper = Long.parseLong(
        Files.readString(withPass.home().resolve(work + SessionKeeper.PID)).trim());
    ProcessHandle.of(keeper).orElseThrow().destroyForcibly();
    SessionKit.awaitExit(keeper, java.time.Duration.ofSeconds(10));
    assertTrue(bare.run("end", carrier.toString()).expect(ExitCodes.BAD_INPUT).errorLine()
        .contains("the carrier is encrypted: give its passphrase with --passphrase-file FILE"));
    withPass.run("end", carrier.toString(), "--discard").expect(0);
  }

  /** {@code host} with the environment variables {@code env} added to its own. */
  private static TestHost withEnv(TestHost host, Map<String, String> env) {
    Map<String, String> all = new HashMap<>(host.env());
    all.putAll(env);
    return new TestHost(host.home(), host.name(), all);
  }

  /** The chain of the current generation in {@code status --json}. */
  static List<String> currentChain(JsonNode status) {
    List<String> chain = new ArrayList<>();
    for (JsonNode g : status.get("checkpoints")) {
      if (g.get("current").asBoolean()) {
        g.get("chain").forEach(n -> chain.add(n.asText()));
      }
    }
    return chain;
  }

  /**
   * Asserts that every file and folder under {@code dir} gives nothing to group or others, and that
   * {@code expected} are among them (so the walk saw what matters). {@code dir} itself is left out:
   * the test kit makes a host's folder before its first command.
   */
  private static void assertPrivate(Path dir, String... expected) throws IOException {
    for (String name : expected) {
      assertTrue(Files.exists(dir.resolve(name), LinkOption.NOFOLLOW_LINKS), dir + "/" + name);
    }
    List<String> open = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(dir) || Files.isSymbolicLink(p)) {
          continue;
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
        // The owner's own bits vary (the host cache keeps its files read-only); no one else's may.
        if (!PosixFilePermissions.toString(mode).endsWith("------")) {
          open.add(dir.relativize(p) + " " + PosixFilePermissions.toString(mode));
        }
      }
    }
    assertEquals(List.of(), open, "open to others under " + dir);
  }

  /** The state {@code file} opened with {@code key} and decompressed: the guest's RAM as QEMU sent it. */
  private static byte[] opened(Path file, byte[] key) throws Exception {
    try (InputStream in = Files.newInputStream(file);
        ReadableByteChannel ch = StateFile.open(in, file.toString(), key)) {
      return Channels.newInputStream(ch).readAllBytes();
    }
  }

  private static boolean contains(byte[] haystack, String s) {
    return ByteSearch.indexOf(haystack, s.getBytes(StandardCharsets.US_ASCII)) >= 0;
  }
}
