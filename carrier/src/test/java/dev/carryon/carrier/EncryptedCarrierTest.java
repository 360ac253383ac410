package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.keys.CarrierKey;
import dev.carryon.carrier.keys.KeySlots;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.cow.DiskImage;
import dev.carryon.cow.ImageSecrets;
import dev.carryon.cow.Qcow2Creator;
import dev.carryon.testdata.ByteSearch;
import dev.carryon.testdata.FileTrees;
import dev.carryon.testdata.LuksImageOpts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encrypted carrier's keys and manifest: made with a passphrase, opened only with it, its
 * manifest sealed at every commit (an altered one is refused), its passphrase changed by rewriting
 * the key slots alone. Each refusal leaves every file as it was.
 */
class EncryptedCarrierTest {
  @TempDir Path dir;

  private final TestClock clock = new TestClock(Instant.parse("2025-03-01T10:00:00Z"));

  @AfterEach
  void forgetKeys() {
    CarrierKeys.forget();
    CarrierKeys.use(carrier -> {
      throw new CarrierException(carrier + ": no passphrase in this test");
    });
  }

  private Path makeEncrypted(String passphrase) throws IOException {
    Path folder = dir.resolve("carrier");
    Carrier.createEncrypted(Fixtures.storage(folder), Fixtures.init(dir.resolve("src"), 3),
        Progress.NONE, passphrase.toCharArray()).close();
    CarrierKeys.forget();
    return folder;
  }

  private static void given(String passphrase) {
    CarrierKeys.forget();
    CarrierKeys.use(carrier -> passphrase.toCharArray());
  }

  @Test
  void anUnlockStartedAheadGivesTheOpenItsKeyOrItsRefusal() throws IOException {
    Path folder = makeEncrypted("correct horse");
    AtomicInteger asked = new AtomicInteger();
    CarrierKeys.use(carrier -> {
      asked.incrementAndGet();
      return "correct horse".toCharArray();
    });
    CarrierKeys.unlockAhead(Fixtures.storage(folder));
    try (Carrier c = Fixtures.open(folder)) {
      assertEquals(1, c.manifest().currentGeneration());
    }
    assertEquals(1, asked.get(), "the passphrase is asked once, by the unlock started ahead");

    given("wrong horse");
    Map<String, String> before = contents(folder);
    CarrierKeys.unlockAhead(Fixtures.storage(folder));
    CarrierException e = assertThrows(CarrierException.class, () -> Fixtures.openForWrite(folder));
    assertEquals(folder.resolve(KeySlots.FILE) + ": wrong passphrase (it opens none of the 1 key"
        + " slot)", e.getMessage());
    assertEquals(before, contents(folder));
  }

  @Test
  void opensWithItsPassphraseAndEverySessionEndIsSealed() throws IOException {
    Path folder = makeEncrypted("correct horse");
    assertTrue(Files.isRegularFile(folder.resolve(KeySlots.FILE)));
    String manifest = Files.readString(folder.resolve(CarrierFiles.MANIFEST));
    assertTrue(manifest.contains("\"seal\""), manifest);

    given("correct horse");
    try (Carrier c = Fixtures.openForWrite(folder)) {
      Fixtures.session(c, Fixtures.HOME, 1, Files.createDirectories(dir.resolve("work")));
    }
    given("correct horse");
    try (Carrier c = Fixtures.open(folder)) {
      assertEquals(2, c.manifest().currentGeneration());
      assertEquals(new Verification(List.of(), List.of()), c.verify());
    }
  }

  @Test
  void aWrongPassphraseIsRefusedAndNothingIsWritten() throws IOException {
    Path folder = makeEncrypted("correct horse");
    Map<String, String> before = contents(folder);
    given("wrong horse");
    CarrierException e = assertThrows(CarrierException.class, () -> Fixtures.openForWrite(folder));
    assertEquals(folder.resolve(KeySlots.FILE) + ": wrong passphrase (it opens none of the 1 key"
        + " slot)", e.getMessage());
    assertEquals(before, contents(folder));
  }

  @Test
  void anAlteredManifestIsRefused() throws IOException {
    Path folder = makeEncrypted("pw");
    Path manifest = folder.resolve(CarrierFiles.MANIFEST);
    String sealed = alterKeep(manifest);
    given("pw");
    CarrierException e = assertThrows(CarrierException.class, () -> Fixtures.open(folder));
    assertEquals(sealNotMatching(manifest), e.getMessage());

    // The seal removed: refused as well.
    String unsealed = sealed.substring(0, sealed.indexOf(",\n  \"seal\"")) + "\n}\n";
    Files.writeString(manifest, unsealed);
    e = assertThrows(CarrierException.class, () -> Fixtures.open(folder));
    assertTrue(e.getMessage().contains("carries no seal"), e.getMessage());

    // The key slots removed with the seal kept: refused, not read as a plain carrier.
    Files.writeString(manifest, sealed);
    Files.delete(folder.resolve(KeySlots.FILE));
    e = assertThrows(CarrierException.class, () -> Fixtures.open(folder));
    assertTrue(e.getMessage().contains("has no key slots"), e.getMessage());
  }

  @Test
  void aManifestReadBeforeItsKeyIsUnlockedIsProvedBeforeAKeyOrALock() throws IOException {
    Path folder = makeEncrypted("pw");
    Path manifest = folder.resolve(CarrierFiles.MANIFEST);
    String sealed = alterKeep(manifest);
    Map<String, String> before = contents(folder);
    AtomicInteger asked = new AtomicInteger();
    CarrierKeys.use(carrier -> {
      asked.incrementAndGet();
      return "pw".toCharArray();
    });
    // What it says is there at once, checked as a plain carrier's is, its key not asked for yet.
    Carrier read = Carrier.openUnproven(Fixtures.storage(folder));
    assertEquals(9, read.manifest().keep());
    assertEquals(0, asked.get());
    assertThrows(IllegalStateException.class, read::diskSecret);
    assertThrows(IllegalStateException.class, () -> read.key(CarrierKey.STATE_CIPHER));
    // The open for write proves it first: the alteration is refused before any lock.
    CarrierException e = assertThrows(CarrierException.class, () -> read.forWrite("test"));
    assertEquals(sealNotMatching(manifest), e.getMessage());
    assertEquals(before, contents(folder));

    // Unaltered, proved once: the key is the one the passphrase unlocks.
    Files.writeString(manifest, sealed);
    CarrierKeys.forget();
    Carrier unaltered = Carrier.openUnproven(Fixtures.storage(folder));
    unaltered.prove();
    unaltered.prove();
    assertTrue(unaltered.diskSecret().isPresent());
    assertEquals(2, asked.get(), "a second proof and the lock's read ask for nothing more");
    try (Carrier writing = unaltered.forWrite("test")) {
      assertEquals(3, writing.manifest().keep());
    }
  }

  @Test
  void aNewPassphraseRewritesOnlyTheKeySlots() throws IOException {
    Path folder = makeEncrypted("old");
    Path keys = folder.resolve(KeySlots.FILE);
    byte[] manifest = Files.readAllBytes(folder.resolve(CarrierFiles.MANIFEST));
    assertThrows(CarrierException.class, () -> CarrierKeys.changePassphrase(
        Fixtures.storage(folder), "not it".toCharArray(), "new".toCharArray()));
    byte[] slots = Files.readAllBytes(keys);
    CarrierKeys.changePassphrase(Fixtures.storage(folder), "old".toCharArray(), "new".toCharArray());
    assertFalse(java.util.Arrays.equals(slots, Files.readAllBytes(keys)));
    assertEquals(new String(manifest, StandardCharsets.UTF_8),
        Files.readString(folder.resolve(CarrierFiles.MANIFEST)));
    given("old");
    assertThrows(CarrierException.class, () -> Fixtures.open(folder));
    given("new");
    try (Carrier c = Fixtures.open(folder)) {
      assertEquals(1, c.manifest().currentGeneration());
    }
  }

  @Test
  void malformedKeySlotsAreRefusedWithTheProblemNamed() {
    String good = new String(KeySlots.create("pw".toCharArray()).encode(), StandardCharsets.UTF_8);
    assertRefused(good.replace("\"memoryKiB\" : 65536", "\"memoryKiB\" : 1073741824"),
        "keys: slots[0].memoryKiB (1073741824) must be a whole number from 8192 to 1048576");
    assertRefused(good.replace("\"kdf\" : \"argon2id\"", "\"kdf\" : \"pbkdf2\""),
        "keys: slots[0].kdf \"pbkdf2\" is not one this carryon knows (\"argon2id\")");
    assertRefused(good.replaceFirst("\"salt\" : \"[0-9a-f]{4}", "\"salt\" : \"zz"),
        "keys: slots[0].salt must be 16 bytes in lower-case hex");
    assertRefused(good.replace("\"version\" : 1", "\"version\" : 2"),
        "keys: key slots version 2 is not supported (this carryon reads version 1)");
    assertRefused(good.replace("\"slots\"", "\"extra\" : 1, \"slots\""), "keys: unknown field extra");
    assertRefused("[]", "keys: not a carryon key slots file (no \"format\": \"carryon-keys\")");
  }

  /** Every file below {@code folder} with its SHA-256. */
  private static Map<String, String> contents(Path folder) throws IOException {
    Map<String, String> m = new TreeMap<>();
    for (String name : FileTrees.list(folder)) {
      Path p = folder.resolve(name);
      m.put(name, Files.isRegularFile(p) ? Hex.sha256(Files.readAllBytes(p)) : "folder");
    }
    return m;
  }

  @Test
  void itsImagesAreLuksThroughSessionsMergesAndAResetAndTheUsersImageStaysAsItWas()
      throws Exception {
    Path folder = makeEncrypted("correct horse");
    Path source = dir.resolve("src").resolve("disk.img");
    given("correct horse");
    try (Carrier c = Fixtures.openForWrite(folder)) {
      // The user's raw image is read into an encrypted qcow2 base.
      assertEquals(List.of("base.qcow2", "cow.qcow2"), c.current().chain());
      byte[] secret = c.diskSecret().orElseThrow();
      ImageSecrets secrets = ImageSecrets.of(secret);
      byte[] disk = Fixtures.baseContent();
      assertArrayEquals(disk, Images.read(Fixtures.file(c, "cow.qcow2"), secrets));
      // keep 3: layers merge into the COW as sessions end.
      for (long g = 2; g <= 5; g++) {
        Fixtures.session(c, Fixtures.HOME, g - 1, dir.resolve("work"));
        disk = Fixtures.apply(disk, g);
      }
      assertEquals(List.of("base.qcow2", "cow.qcow2", "layers/L4.qcow2", "layers/L5.qcow2"),
          c.current().chain());
      assertArrayEquals(disk, Images.read(Fixtures.file(c, c.current().top()), secrets));
      assertClear(c, disk);
      c.reset();
      assertEquals(List.of("base.qcow2", "cow.qcow2"), c.current().chain());
      assertArrayEquals(disk, Images.read(Fixtures.file(c, "cow.qcow2"), secrets));
      assertClear(c, disk);
      assertEquals(new Verification(List.of(), List.of()), c.verify());
      // The oracle reads the chain with the key (a secret file, as QEMU gets it) as the engine does.
      Path secretFile = Files.write(dir.resolve("disk.secret"), secret);
      Path expected = Files.write(dir.resolve("expected.raw"), disk);
      Images.run(0, "qemu-img", "compare", "--object", "secret,id=k,file=" + secretFile,
          "--image-opts", LuksImageOpts.of(Fixtures.file(c, "cow.qcow2"), 2, "k"),
          "driver=raw,file.filename=" + expected);
    }
    assertArrayEquals(Fixtures.baseContent(), Files.readAllBytes(source), "the user's image");
  }

  @Test
  void aCowTheUserGivesIsReadIntoAnEncryptedCow() throws IOException {
    CarrierInit plain = Fixtures.init(dir.resolve("src"), 3);
    Path cow = dir.resolve("src").resolve("cow.qcow2");
    Qcow2Creator.create(cow, -1, plain.base().toString(), "raw");
    Images.write(cow, Fixtures.writes(7));
    byte[] given = Files.readAllBytes(cow);
    CarrierInit init = new CarrierInit(plain.vm(), plain.base(), cow, plain.kernel(),
        plain.initrd(), plain.state(), plain.host(), plain.sessionId(), plain.note(), plain.keep());
    try (Carrier c = Carrier.createEncrypted(Fixtures.storage(dir.resolve("carrier")), init,
        Progress.NONE, "correct horse".toCharArray())) {
      byte[] disk = Fixtures.apply(Fixtures.baseContent(), 7);
      assertArrayEquals(disk, Images.read(Fixtures.file(c, "cow.qcow2"),
          ImageSecrets.of(c.diskSecret().orElseThrow())));
      assertClear(c, disk);
      assertEquals(new Verification(List.of(), List.of()), c.verify());
    }
    assertArrayEquals(given, Files.readAllBytes(cow), "the user's COW");
  }

  @Test
  void aLayerInTheClearIsRefusedAndNothingIsCommitted() throws IOException {
    Path folder = makeEncrypted("correct horse");
    given("correct horse");
    try (Carrier c = Fixtures.openForWrite(folder)) {
      Path work = Files.createDirectories(dir.resolve("work"));
      Path plain = work.resolve("plain.qcow2");
      Qcow2Creator.create(plain, -1, Fixtures.file(c, c.current().top()).toString(), "qcow2");
      Images.write(plain, Fixtures.writes(2), ImageSecrets.of(c.diskSecret().orElseThrow()));
      c.takeLease(Fixtures.HOME, "s2");
      SessionEnd end = c.beginEnd(Fixtures.HOME, "s2", 1);
      end.copyLayer(plain, Progress.NONE);
      end.copyState(Files.write(work.resolve("state"), Fixtures.stateBytes(2)), Progress.NONE);
      Manifest before = c.manifest();
      CarrierException e =
          assertThrows(CarrierException.class, () -> c.commitGeneration(end, "plain"));
      assertTrue(e.getMessage().endsWith(": refusing the new layer: stored in the clear on an"
          + " encrypted carrier (its images are LUKS-encrypted qcow2)"), e.getMessage());
      assertEquals(before, c.manifest());
    }
  }

  /**
   * Asserts that every image of {@code c} is LUKS-encrypted and that none holds a cluster of
   * {@code disk}, the guest's content, in the clear.
   */
  private static void assertClear(Carrier c, byte[] disk) throws IOException {
    for (String image : c.manifest().keptImages()) {
      try (DiskImage d = DiskImage.open(Fixtures.file(c, image), false)) {
        assertTrue(d.isEncrypted(), image + " is not encrypted");
      }
      byte[] bytes = Files.readAllBytes(Fixtures.file(c, image));
      for (int at = 0; at < disk.length; at += Fixtures.CLUSTER) {
        byte[] cluster = Arrays.copyOfRange(disk, at, at + 4096);
        assertEquals(-1, ByteSearch.indexOf(bytes, cluster), image + " holds guest bytes at " + at);
      }
    }
  }

  /**
   * Changes one field of the sealed manifest as someone without the key would (keep 3 becomes keep
   * 9); returns the manifest as it was.
   */
  private static String alterKeep(Path manifest) throws IOException {
    String sealed = Files.readString(manifest);
    Files.writeString(manifest, sealed.replace("\"keep\" : 3", "\"keep\" : 9"));
    return sealed;
  }

  private static String sealNotMatching(Path manifest) {
    return manifest + ": the manifest's seal does not match its content under this carrier's key:"
        + " it was altered, and is refused";
  }

  private static void assertRefused(String file, String message) {
    CarrierException e = assertThrows(CarrierException.class,
        () -> KeySlots.parse(file.getBytes(StandardCharsets.UTF_8), "keys"));
    assertEquals(message, e.getMessage());
  }
}
