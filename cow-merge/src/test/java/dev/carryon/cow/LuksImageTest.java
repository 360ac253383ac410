package dev.carryon.cow;

import static dev.carryon.cow.QemuSecrets.ALPHA;
import static dev.carryon.cow.QemuSecrets.BETA;
import static dev.carryon.cow.QemuSecrets.GAMMA;
import static org.junit.jupiter.api.Assertions.*;

import dev.carryon.testdata.ByteSearch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LUKS-encrypted qcow2 against QEMU: images QEMU made and wrote, read by the engine; images the
 * engine made and wrote, read and checked by qemu-img and qemu-io with the key; wrong and missing
 * secrets refused.
 */
class LuksImageTest {
  static final long SIZE = 4L << 20;

  /** Images made by qemu-img once for the class (its LUKS benchmark costs seconds each). */
  @TempDir static Path made;

  static Path qemuDefault;
  static Path qemuOther;

  @TempDir Path dir;

  @BeforeAll
  static void qemuMadeImages() {
    // QEMU's defaults (aes-256 xts-plain64 sha256, 64 KiB clusters), written by qemu-io: whole and
    // partial clusters, partial sectors, zeros, and a compressed cluster (which QEMU stores
    // unencrypted even here).
    qemuDefault = made.resolve("default.qcow2");
    QemuSecrets.create(qemuDefault, "4M", ALPHA, "");
    QemuSecrets.io(QemuSecrets.spec(qemuDefault, ALPHA),
        "write -P 0x11 0 64k", "write -P 0x12 70000 3000", "write -P 0x13 1M 200k", "write -z 1100k 64k",
        "write -c -P 0x14 2M 64k", "write -P 0x15 4193792 512");
    // Another scheme: aes-128, plain IVs, sha512, v2 header, 4 KiB clusters, a second key slot.
    qemuOther = made.resolve("other.qcow2");
    QemuSecrets.create(qemuOther, "4M", BETA,
        "encrypt.cipher-alg=aes-128,encrypt.ivgen-alg=plain,encrypt.hash-alg=sha512,compat=0.10,cluster_size=4096");
    QemuSecrets.addKeySlot(qemuOther, BETA, GAMMA);
    QemuSecrets.io(QemuSecrets.spec(qemuOther, BETA), "write -P 0x21 4k 12k", "write -P 0x22 3M 5000");
  }

  @Test
  void qemuMadeImagesReadAsQemuReadsThem() throws Exception {
    for (Object[] c : new Object[][] {{qemuDefault, ALPHA}, {qemuOther, BETA}, {qemuOther, GAMMA}}) {
      Path image = (Path) c[0];
      String id = (String) c[1];
      String spec = QemuSecrets.spec(image, id);
      byte[] qemu = QemuSecrets.raw(spec, dir);
      byte[] ours = MergeOracleTest.engineRaw(image, QemuSecrets.engine(image, id));
      assertArrayEquals(qemu, ours, image + " with " + id + ": " + MergeOracleTest.firstDifference(qemu, ours));
      assertEquals(
          QemuMaps.normalize(QemuMaps.parse(QemuSecrets.img("map", "--output=json", spec).out()), Set.of()),
          QemuMaps.normalize(Mapper.mapChain(image), Set.of()), "map of " + image);
      Qemu.Result check = QemuSecrets.check(spec);
      assertEquals(0, check.exit(), check.out());
      CheckReport report = Checker.check(image);
      assertTrue(report.isClean(), report.toString());
      assertEquals(QemuInfo.parse(check.out()).number("allocated-clusters"), report.allocatedClusters());
      assertEquals(QemuInfo.parse(check.out()).number("image-end-offset"), report.imageEndOffset());
    }
  }

  /**
   * One layout of an image the engine makes.
   *
   * @param backing "none", "raw", "qcow2" (plain) or "luks" (encrypted with another secret)
   */
  static Stream<Arguments> created() {
    return Stream.of(
        Arguments.of(65536, 3, "none"),
        Arguments.of(512, 3, "none"),
        Arguments.of(2 << 20, 3, "none"),
        Arguments.of(4096, 2, "none"),
        Arguments.of(65536, 3, "raw"),
        Arguments.of(16384, 3, "qcow2"),
        Arguments.of(65536, 3, "luks"));
  }

  @ParameterizedTest(name = "cluster {0}, version {1}, backing {2}")
  @MethodSource("created")
  void engineMadeImagesAreWhatQemuExpects(int clusterSize, int version, String backing) throws Exception {
    Path out = dir.resolve("new.qcow2");
    String backingName = null;
    String backingId = null;
    if (!backing.equals("none")) {
      backingName = "base." + (backing.equals("raw") ? "raw" : "qcow2");
      Path base = dir.resolve(backingName);
      if (backing.equals("raw")) {
        Qemu.img("create", "-q", "-f", "raw", base.toString(), Long.toString(SIZE));
        Qemu.io(base, "write -P 0x5a 0 64k", "write -P 0x5b 2M 4k");
      } else {
        backingId = backing.equals("luks") ? BETA : null;
        Qcow2Creator.create(base, SIZE, null, null, 65536, 3,
            backingId == null ? null : Encryption.luks(QemuSecrets.secret(backingId)));
        QemuSecrets.io(QemuSecrets.spec(base, backingId), "write -P 0x5a 0 64k", "write -P 0x5b 2M 4k");
      }
    }
    Qcow2Creator.create(out, backingName == null ? SIZE : -1, backingName, null, clusterSize, version,
        Encryption.luks(QemuSecrets.secret(ALPHA)));
    String spec = QemuSecrets.spec(out, ALPHA, backingId);
    ImageSecrets secrets = QemuSecrets.engine(out, ALPHA, dir.resolve(backingName == null ? "none" : backingName), backingId);

    QemuInfo info = QemuInfo.of(out);
    assertEquals("true", info.get("encrypted"), info.toString());
    for (String[] field : new String[][] {
        {"format", "qcow2"}, {"cipher-alg", "aes-256"}, {"cipher-mode", "xts"}, {"ivgen-alg", "plain64"},
        {"hash-alg", "sha256"}, {"compat", version == 3 ? "1.1" : "0.10"}}) {
      assertEquals(field[1], info.get(field[0]), field[0] + " in " + info);
    }
    assertEquals(clusterSize, info.number("cluster-size"));
    assertEquals(SIZE, info.number("virtual-size"));
    assertEquals(Encryption.MIN_ITERATIONS, info.number("master-key-iters"));
    Qemu.Result check = QemuSecrets.check(spec);
    assertEquals(0, check.exit(), "qemu-img check of a new encrypted image\n" + check.out());
    assertTrue(Checker.check(out).isClean(), "our check of a new encrypted image");

    // QEMU writes with the key; the engine reads what QEMU reads.
    QemuSecrets.io(spec, "write -P 0x71 4k 8k", "write -P 0x72 1M 200k", "write -P 0x73 " + (SIZE - 512) + " 512");
    byte[] qemu = QemuSecrets.raw(spec, dir);
    byte[] ours = MergeOracleTest.engineRaw(out, secrets);
    assertArrayEquals(qemu, ours, MergeOracleTest.firstDifference(qemu, ours));

    // The engine writes (whole and partial clusters, partial sectors, zeros); QEMU reads it back.
    try (DiskImage image = DiskImage.open(out, null, true, secrets);
        ImageChain chain = ImageChain.over(image, secrets)) {
      image.write(fill(0x81, 100_000), 300_000);
      image.write(fill(0x82, 7), 4096 + 1000);
      image.write(fill(0x83, 513), 2 * 65536 - 1);
      image.writeZeroes(1 << 20, 65536);
    }
    QemuSecrets.io(spec, "read -P 0x81 300000 100000", "read -P 0x82 5096 7", "read -P 0x71 4096 1000",
        "read -P 0x71 5103 3185", "read -P 0x83 131071 513", "read -P 0 1M 64k", "read -P 0x72 1114112 135168");
    check = QemuSecrets.check(spec);
    assertEquals(0, check.exit(), "qemu-img check after the engine wrote\n" + check.out());
    assertTrue(Checker.check(out).isClean(), "our check after the engine wrote: " + Checker.check(out));
    qemu = QemuSecrets.raw(spec, dir);
    ours = MergeOracleTest.engineRaw(out, secrets);
    assertArrayEquals(qemu, ours, MergeOracleTest.firstDifference(qemu, ours));
  }

  @Test
  void wrongSecretIsRefusedNamingTheImageAndNothingIsWritten() throws Exception {
    Path image = copy(qemuDefault);
    byte[] before = Files.readAllBytes(image);
    ImageKeyException e = assertThrows(ImageKeyException.class,
        () -> DiskImage.open(image, null, true, ImageSecrets.of(QemuSecrets.secret(BETA))).close());
    assertTrue(e.getMessage().startsWith(image + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("wrong secret"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(image));
    // A secret QEMU could not hold either.
    e = assertThrows(ImageKeyException.class,
        () -> DiskImage.open(image, null, false, ImageSecrets.of(new byte[] {'a', 0, 'b'})).close());
    assertTrue(e.getMessage().contains("NUL"), e.getMessage());
  }

  /** Without its secret an encrypted image still maps and checks; its data is refused. */
  @Test
  void missingSecretLocksTheDataOnly() throws Exception {
    Path image = copy(qemuDefault);
    byte[] before = Files.readAllBytes(image);
    try (DiskImage locked = DiskImage.open(image, true)) {
      assertTrue(locked.isEncrypted());
      assertEquals(SIZE, locked.virtualSize());
      assertFalse(Mapper.mapLayer(locked).isEmpty());
      for (org.junit.jupiter.api.function.Executable refused : List.<org.junit.jupiter.api.function.Executable>of(
          () -> locked.read(ByteBuffer.allocate(512), 0),
          () -> locked.write(ByteBuffer.allocate(512), 0),
          () -> locked.writeZeroes(0, 65536),
          () -> locked.prepareWrite(0, 512))) {
        ImageKeyException e = assertThrows(ImageKeyException.class, refused);
        assertTrue(e.getMessage().startsWith(image + ": the image is encrypted"), e.getMessage());
      }
    }
    assertTrue(Checker.check(image).isClean());
    assertArrayEquals(before, Files.readAllBytes(image));
  }

  /**
   * What the guest writes never appears in the file; the same search finds it in a plain image.
   * Two images sharing a master key store the same sector as the same ciphertext only at the same
   * host offset: the IV is the host sector, so a merge cannot copy ciphertext between images.
   */
  @Test
  void storedBytesAreCiphertextTiedToTheirHostSector() throws Exception {
    byte[] marker = "carryon-luks-marker: the guest wrote this line".getBytes(StandardCharsets.US_ASCII);
    byte[] masterKey = new byte[Encryption.MASTER_KEY_BYTES];
    new java.util.Random(7).nextBytes(masterKey);
    Path plain = dir.resolve("plain.qcow2");
    Path one = dir.resolve("one.qcow2");
    Path two = dir.resolve("two.qcow2");
    Qcow2Creator.create(plain, SIZE, null, null, 65536, 3, null);
    Qcow2Creator.create(one, SIZE, null, null, 65536, 3, Encryption.luks(QemuSecrets.secret(ALPHA)).withMasterKey(masterKey));
    Qcow2Creator.create(two, SIZE, null, null, 65536, 3, Encryption.luks(QemuSecrets.secret(BETA)).withMasterKey(masterKey));
    ImageSecrets secrets = QemuSecrets.engine(one, ALPHA, two, BETA);
    byte[] sector = new byte[512];
    System.arraycopy(marker, 0, sector, 0, marker.length);
    for (Path p : List.of(plain, one, two)) {
      try (DiskImage image = DiskImage.open(p, null, true, secrets)) {
        if (p == two) {
          // two.qcow2 gets guest 0 where one.qcow2 has guest 64k, and guest 64k further on.
          image.write(ByteBuffer.wrap(sector), 0);
        }
        image.write(ByteBuffer.wrap(sector), 65536);
      }
    }
    assertTrue(ByteSearch.indexOf(Files.readAllBytes(plain), marker) >= 0, "the search finds the marker in a plain image");
    assertEquals(-1, ByteSearch.indexOf(Files.readAllBytes(one), marker));
    assertEquals(-1, ByteSearch.indexOf(Files.readAllBytes(two), marker));
    long host = hostOf(one, 65536);
    assertEquals(host, hostOf(two, 0));
    long elsewhere = hostOf(two, 65536);
    assertNotEquals(host, elsewhere);
    assertArrayEquals(stored(one, host), stored(two, host), "same key, same host sector: same ciphertext");
    assertFalse(java.util.Arrays.equals(stored(two, host), stored(two, elsewhere)), "same key and data, other sector");
    QemuSecrets.io(QemuSecrets.spec(two, BETA), "read -P 0 " + marker.length + " " + (512 - marker.length),
        "read -P 0 " + (65536 + marker.length) + " " + (512 - marker.length));
    byte[] view = MergeOracleTest.engineRaw(two, secrets);
    assertArrayEquals(sector, java.util.Arrays.copyOfRange(view, 0, 512));
    assertArrayEquals(sector, java.util.Arrays.copyOfRange(view, 65536, 65536 + 512));
  }

  /**
   * Metadata work needs no secret: leaked refcounts are repaired and the backing file renamed in
   * a locked image, whose encryption header survives the rewrite of the header cluster.
   */
  @Test
  void metadataChangesNeedNoSecret() throws Exception {
    Path base = dir.resolve("base.qcow2");
    Path top = dir.resolve("top.qcow2");
    Qcow2Creator.create(base, SIZE, null, null, 65536, 3, Encryption.luks(QemuSecrets.secret(BETA)));
    Qcow2Creator.create(top, -1, "base.qcow2", "qcow2", 4096, 3, Encryption.luks(QemuSecrets.secret(ALPHA)));
    QemuSecrets.io(QemuSecrets.spec(top, ALPHA, BETA), "write -P 0x61 0 64k", "write -P 0x62 1M 8k");
    try (ImagePatch p = new ImagePatch(top)) {
      p.unmap(4096);
      p.unmap(8192);
    }
    Qemu.Result leaky = QemuSecrets.check(QemuSecrets.spec(top, ALPHA, BETA));
    assertEquals(3, leaky.exit(), "qemu-img check sees the leaks\n" + leaky.out());
    CheckReport repaired = Checker.check(top, true);
    assertEquals(2, repaired.leaksFixed(), repaired.toString());
    assertTrue(repaired.isClean(), repaired.toString());

    Path moved = Files.createDirectory(dir.resolve("moved"));
    Files.move(base, moved.resolve("base.qcow2"));
    Qcow2Creator.rebaseUnsafe(top, "moved/base.qcow2", "qcow2");
    assertEquals("true", QemuInfo.of(top).get("encrypted"));
    String spec = QemuSecrets.spec(top, ALPHA, BETA);
    Qemu.Result check = QemuSecrets.check(spec);
    assertEquals(0, check.exit(), check.out());
    QemuSecrets.io(spec, "read -P 0x61 0 4k", "read -P 0 4k 8k", "read -P 0x61 12k 52k", "read -P 0x62 1M 8k");
  }

  @Test
  void encryptedImagesNeedWholeSectorsOfVirtualSize() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Qcow2Creator.create(dir.resolve("odd.qcow2"), 1000, null, null, 65536, 3, Encryption.luks(QemuSecrets.secret(ALPHA))));
    assertTrue(e.getMessage().contains("multiple of 512"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("odd.qcow2")));
    assertThrows(IllegalArgumentException.class, () -> Encryption.luks(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> Encryption.luks(new byte[] {(byte) 0xff, (byte) 0xfe}));
    assertThrows(IllegalArgumentException.class, () -> Encryption.luks(QemuSecrets.secret(ALPHA)).withIterations(999));
    assertThrows(IllegalArgumentException.class, () -> Encryption.luks(QemuSecrets.secret(ALPHA)).withMasterKey(new byte[32]));
  }

  private Path copy(Path image) throws Exception {
    Path to = dir.resolve(image.getFileName());
    Files.copy(image, to, StandardCopyOption.REPLACE_EXISTING);
    return to;
  }

  private static ByteBuffer fill(int value, int length) {
    byte[] b = new byte[length];
    java.util.Arrays.fill(b, (byte) value);
    return ByteBuffer.wrap(b);
  }

  private static long hostOf(Path image, long guest) throws Exception {
    try (ImagePatch p = new ImagePatch(image)) {
      return p.hostOf(guest);
    }
  }

  /** The first stored sector at {@code host}. */
  private static byte[] stored(Path image, long host) throws Exception {
    try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(image)) {
      ByteBuffer b = ByteBuffer.allocate(512);
      f.read(b, host);
      return b.array();
    }
  }
}
