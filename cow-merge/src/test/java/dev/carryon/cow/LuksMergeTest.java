package dev.carryon.cow;

import static dev.carryon.cow.QemuSecrets.ALPHA;
import static dev.carryon.cow.QemuSecrets.BETA;
import static dev.carryon.cow.QemuSecrets.GAMMA;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Merges into and out of LUKS-encrypted images (either side, both, with their own keys or a shared
 * master key, through encrypted backing files) compared with {@code qemu-img commit} given the
 * keys; every merged target passes {@code qemu-img check} with its key.
 */
class LuksMergeTest {
  static final String SIZE = "4M";
  /** A master key two layouts share. */
  static final byte[] SHARED_KEY = new byte[Encryption.MASTER_KEY_BYTES];

  /**
   * A target made by qemu-img's own LUKS code, once for the class (it costs seconds), with
   * extended L2 entries: merged pieces land in 2 KiB subclusters.
   */
  @TempDir static Path made;

  static Path qemuTarget;

  @TempDir Path dir;

  /**
   * One image of a chain: its secret (null: not encrypted), cluster size, whether qemu-img made it
   * (else the engine), and whether it shares {@link #SHARED_KEY}.
   */
  record Layer(String secret, int cluster, boolean qemuMade, boolean sharedKey) {
    static Layer plain(int cluster) {
      return new Layer(null, cluster, false, false);
    }

    static Layer luks(String secret, int cluster) {
      return new Layer(secret, cluster, false, false);
    }
  }

  /**
   * @param layers bottom first; the last is the top that is merged
   * @param target index of the layer merged into
   */
  record Layout(String name, List<Layer> layers, int target) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> layouts() {
    return Stream.of(
            new Layout("plain top into encrypted target", List.of(Layer.luks(ALPHA, 65536), Layer.plain(65536)), 0),
            new Layout("encrypted top into plain target", List.of(Layer.plain(65536), Layer.luks(ALPHA, 65536)), 0),
            new Layout("encrypted into encrypted, other keys", List.of(Layer.luks(BETA, 65536), Layer.luks(ALPHA, 65536)), 0),
            new Layout("encrypted into encrypted, one master key",
                List.of(new Layer(BETA, 65536, false, true), new Layer(ALPHA, 65536, false, true)), 0),
            new Layout("4K encrypted top into 64K encrypted target", List.of(Layer.luks(BETA, 65536), Layer.luks(ALPHA, 4096)), 0),
            new Layout("into a QEMU-made encrypted target with extended L2 entries",
                List.of(new Layer(GAMMA, 65536, true, false), Layer.luks(ALPHA, 16384)), 0),
            new Layout("target over an encrypted backing file",
                List.of(Layer.luks(GAMMA, 65536), Layer.luks(BETA, 16384), Layer.luks(ALPHA, 65536)), 1),
            new Layout("encrypted top not over its target",
                List.of(Layer.luks(GAMMA, 65536), Layer.luks(BETA, 4096), Layer.luks(ALPHA, 65536)), 0))
        .map(Arguments::of);
  }

  /** Writes of each depth, bottom first; the top's add partial clusters and sectors and zeros. */
  static final String[][] WRITES = {
    {"write -P 0x11 0 1M", "write -P 0x12 3M 512k", "write -P 0x13 2M 4k"},
    {"write -P 0x31 128k 64k", "write -P 0x32 2M 64k", "write -P 0x33 1M 3000"},
    {"write -P 0x21 64k 64k", "write -P 0x22 1052672 8192", "write -z 3211264 131072", "write -P 0x23 4193792 512",
        "write -P 0x24 2M 2k", "write -P 0x25 300000 70000"},
  };

  @BeforeAll
  static void qemuMadeTarget() {
    new java.util.Random(3).nextBytes(SHARED_KEY);
    qemuTarget = made.resolve("qemu-target.qcow2");
    QemuSecrets.create(qemuTarget, SIZE, GAMMA, "extended_l2=on");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void mergeMatchesQemuImgCommit(Layout layout) throws Exception {
    int n = layout.layers.size();
    Path[] paths = new Path[n];
    String[] ids = new String[n];
    List<Object> secretPairs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Layer layer = layout.layers.get(i);
      paths[i] = dir.resolve("layer" + i + ".qcow2");
      ids[i] = layer.secret;
      String backing = i == 0 ? null : paths[i - 1].getFileName().toString();
      if (layer.qemuMade) {
        Files.copy(qemuTarget, paths[i]);
      } else {
        Encryption e = layer.secret == null ? null : Encryption.luks(QemuSecrets.secret(layer.secret));
        Qcow2Creator.create(paths[i], i == 0 ? 4L << 20 : -1, backing, i == 0 ? null : "qcow2", layer.cluster, 3,
            e != null && layer.sharedKey ? e.withMasterKey(SHARED_KEY) : e);
      }
      QemuSecrets.io(spec(paths, ids, i), i == n - 1 ? WRITES[2] : WRITES[Math.min(i, 1)]);
      if (layer.secret != null) {
        secretPairs.add(paths[i]);
        secretPairs.add(layer.secret);
      }
    }
    ImageSecrets secrets = QemuSecrets.engine(secretPairs.toArray());
    Path top = paths[n - 1];
    Path target = paths[layout.target];
    String topSpec = spec(paths, ids, n - 1);
    byte[] view = QemuSecrets.raw(topSpec, dir);
    byte[] ours = MergeOracleTest.engineRaw(top, secrets);
    assertArrayEquals(view, ours, "guest view of " + layout + ": " + MergeOracleTest.firstDifference(view, ours));

    // Expected: qemu-img commit of a copy of the top rebased onto a copy of the target.
    Path expected = dir.resolve("expected.qcow2");
    Path topCopy = dir.resolve("top-copy.qcow2");
    Files.copy(target, expected, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(top, topCopy, StandardCopyOption.REPLACE_EXISTING);
    ok(QemuSecrets.img("rebase", "-u", "-b", expected.getFileName().toString(), "-F", "qcow2",
        QemuSecrets.spec(topCopy, ids[n - 1])));
    String[] commitIds = new String[layout.target + 2];
    commitIds[0] = ids[n - 1];
    for (int i = layout.target, j = 1; i >= 0; i--, j++) {
      commitIds[j] = ids[i];
    }
    ok(QemuSecrets.img("commit", "-q", QemuSecrets.spec(topCopy, commitIds)));

    MergeResult result = Merger.merge(top, target, secrets, ProgressListener.NONE);
    assertTrue(result.bytesCopied() > 0, "something was merged");

    String targetSpec = spec(paths, ids, layout.target);
    String expectedSpec = QemuSecrets.spec(expected, Arrays.copyOfRange(commitIds, 1, commitIds.length));
    Qemu.Result compare = QemuSecrets.img("compare", targetSpec, expectedSpec);
    assertEquals(0, compare.exit(), "qemu-img compare after merge of " + layout + ":\n" + compare.out());
    Qemu.Result check = QemuSecrets.check(targetSpec);
    assertEquals(0, check.exit(), "qemu-img check of the merged target:\n" + check.out());
    assertTrue(Checker.check(target).isClean(), "our check agrees: " + Checker.check(target));
    if (layout.target == n - 2) {
      byte[] after = QemuSecrets.raw(topSpec, dir);
      assertArrayEquals(view, after, "the top's view is unchanged when it sits on its target");
    }
  }

  /** A target the top's secret map cannot unlock: refused before a byte is written. */
  @Test
  void lockedOrWronglyKeyedTargetIsRefusedAndUntouched() throws Exception {
    Path base = dir.resolve("base.qcow2");
    Path top = dir.resolve("top.qcow2");
    Qcow2Creator.create(base, 4L << 20, null, null, 65536, 3, Encryption.luks(QemuSecrets.secret(BETA)));
    QemuSecrets.io(QemuSecrets.spec(base, BETA), WRITES[0]);
    Qcow2Creator.create(top, -1, "base.qcow2", "qcow2", 65536, 3, Encryption.luks(QemuSecrets.secret(ALPHA)));
    QemuSecrets.io(QemuSecrets.spec(top, ALPHA, BETA), WRITES[2]);
    byte[] before = Files.readAllBytes(base);
    ImageKeyException missing = assertThrows(ImageKeyException.class,
        () -> Merger.merge(top, base, QemuSecrets.engine(top, ALPHA), ProgressListener.NONE));
    assertTrue(missing.getMessage().startsWith(base + ": the image is encrypted"), missing.getMessage());
    ImageKeyException wrong = assertThrows(ImageKeyException.class,
        () -> Merger.merge(top, base, QemuSecrets.engine(top, ALPHA, base, GAMMA), ProgressListener.NONE));
    assertTrue(wrong.getMessage().startsWith(base + ": "), wrong.getMessage());
    assertTrue(wrong.getMessage().contains("wrong secret"), wrong.getMessage());
    ImageKeyException lockedTop = assertThrows(ImageKeyException.class,
        () -> Merger.merge(top, base, QemuSecrets.engine(base, BETA), ProgressListener.NONE));
    assertTrue(lockedTop.getMessage().startsWith(top + ": the image is encrypted"), lockedTop.getMessage());
    assertArrayEquals(before, Files.readAllBytes(base), "target unchanged");
  }

  /** The spec of layer {@code i} with the secrets of it and every layer below. */
  private static String spec(Path[] paths, String[] ids, int i) {
    String[] chain = new String[i + 1];
    for (int j = 0; j <= i; j++) {
      chain[j] = ids[i - j];
    }
    return QemuSecrets.spec(paths[i], chain);
  }

  private static void ok(Qemu.Result r) {
    assertEquals(0, r.exit(), r.out());
  }
}
