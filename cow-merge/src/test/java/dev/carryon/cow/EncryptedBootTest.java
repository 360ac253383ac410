package dev.carryon.cow;

import static dev.carryon.cow.QemuSecrets.ALPHA;
import static dev.carryon.cow.QemuSecrets.BETA;
import static org.junit.jupiter.api.Assertions.*;

import dev.carryon.testdata.ByteSearch;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.TestGuest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU boots the test guest from a chain the engine encrypted (an encrypted copy of the guest's
 * disk under an encrypted overlay with another secret, the secrets handed over in 0600 files);
 * what the guest wrote reads the same through the engine and through qemu-img, is nowhere in the
 * files in the clear, and merges down as qemu-img sees it.
 */
class EncryptedBootTest {
  @TempDir Path dir;

  @Test
  void qemuRunsTheGuestOnEngineEncryptedImages() throws Exception {
    TestGuest guest = TestGuest.get();
    Path plain = guest.copyDiskTo(dir);
    Path base = dir.resolve("base.qcow2");
    Path top = dir.resolve("top.qcow2");
    ImageSecrets secrets = QemuSecrets.engine(base, BETA, top, ALPHA);
    try (DiskImage p = DiskImage.open(plain, false)) {
      assertNull(p.backingFileName(), "the guest's disk stands alone");
      Qcow2Creator.create(base, p.virtualSize(), null, null, 65536, 3, Encryption.luks(QemuSecrets.secret(BETA)));
    }
    // The whole disk into the encrypted image: merging a standalone image copies all it holds.
    Merger.merge(plain, base, secrets, ProgressListener.NONE);
    Qcow2Creator.create(top, -1, "base.qcow2", "qcow2", 65536, 3, Encryption.luks(QemuSecrets.secret(ALPHA)));

    Path console = dir.resolve("console.log");
    List<String> command = guest.qemuCommand(top, console, "synctick=1");
    int blockdev = command.indexOf("-blockdev");
    command.subList(blockdev, blockdev + 4).clear();
    command.addAll(blockdev, List.of(
        "-object", "secret,id=top-key,file=" + secretFile(ALPHA),
        "-object", "secret,id=base-key,file=" + secretFile(BETA),
        "-blockdev", "driver=qcow2,node-name=disk0,file.driver=file,file.filename=" + top
            + ",encrypt.format=luks,encrypt.key-secret=top-key,backing.driver=qcow2,backing.file.driver=file"
            + ",backing.file.filename=" + base + ",backing.encrypt.format=luks,backing.encrypt.key-secret=base-key"));
    Process qemu = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
    String bootId;
    try {
      String tick = new ConsoleLog(console, qemu).waitFor(Pattern.compile("TICK 6 "), Duration.ofSeconds(180));
      Matcher m = ConsoleLog.TICK.matcher(tick);
      assertTrue(m.find(), tick);
      bootId = m.group(2);
    } finally {
      qemu.destroy(); // SIGTERM: QEMU flushes and closes its images
      assertTrue(qemu.waitFor(60, TimeUnit.SECONDS), "QEMU quit");
    }

    String spec = QemuSecrets.spec(top, ALPHA, BETA);
    Qemu.Result check = QemuSecrets.check(spec);
    assertEquals(0, check.exit(), "qemu-img check of the overlay QEMU wrote\n" + check.out());
    assertTrue(Checker.check(top).isClean());
    byte[] view = QemuSecrets.raw(spec, dir);
    assertArrayEquals(view, MergeOracleTest.engineRaw(top, secrets), "the engine reads what QEMU wrote");
    byte[] id = bootId.getBytes(StandardCharsets.US_ASCII);
    assertTrue(ByteSearch.indexOf(view, id) >= 0, "the guest's tick file holds its boot id " + bootId);
    assertEquals(-1, ByteSearch.indexOf(Files.readAllBytes(top), id), "no boot id in the overlay's bytes");
    assertEquals(-1, ByteSearch.indexOf(Files.readAllBytes(base), id), "nor in the base's");

    Merger.merge(top, base, secrets, ProgressListener.NONE);
    Qemu.Result compare = QemuSecrets.img("compare", QemuSecrets.spec(base, BETA), spec);
    assertEquals(0, compare.exit(), "the merged base reads what the guest saw\n" + compare.out());
    assertEquals(0, QemuSecrets.check(QemuSecrets.spec(base, BETA)).exit());
    assertEquals(-1, ByteSearch.indexOf(Files.readAllBytes(base), id), "the merge wrote ciphertext only");
  }

  /** A 0600 file holding the secret {@code id}, as QEMU reads it ({@code secret,file=}). */
  private Path secretFile(String id) throws Exception {
    Path f = dir.resolve(id + ".key");
    Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(f, QemuSecrets.secret(id));
    return f;
  }
}
