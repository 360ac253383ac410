package dev.carryon.launcher.cli.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierInit;
import dev.carryon.carrier.CarrierKeys;
import dev.carryon.carrier.HostIdentity;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.SessionEnd;
import dev.carryon.carrier.VmConfig;
import dev.carryon.cow.Encryption;
import dev.carryon.cow.Qcow2Creator;
import dev.carryon.launcher.cli.CliRun;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.testdata.TestGuest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carryon sync --host-image} and {@code carryon export} on an encrypted carrier, given its
 * passphrase like every other command: the host image gets the carrier's content and stays as the
 * user made it (plain qcow2), and exported files are the guest's. The session's layer is written by
 * qemu-io through QEMU's own LUKS code, with the disk secret from a file.
 */
class EncryptedSyncTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HostIdentity HOME = new HostIdentity("host-home-1", "home-pc");
  private static final VmConfig VM =
      new VmConfig(
          "pc-q35-7.2", "qemu64", 256, 1, "virtio-blk", null, null, "console=ttyS0", List.of());
  private static final String PASSPHRASE = "correct horse";

  @TempDir static Path home;
  private static String oldHome;

  @TempDir Path dir;

  @BeforeAll
  static void hostHome() {
    oldHome = System.getProperty("carryon.home");
    System.setProperty("carryon.home", home.toString());
  }

  @AfterAll
  static void restoreHostHome() {
    if (oldHome == null) {
      System.clearProperty("carryon.home");
    } else {
      System.setProperty("carryon.home", oldHome);
    }
  }

  @Test
  void syncFoldsAnEncryptedCarrierIntoAPlainHostImage() throws IOException {
    Path base = dir.resolve("base.qcow2");
    run("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "4M");
    run("qemu-io", "-c", "write -P 17 0 4M", base.toString());
    Path host = Files.copy(base, dir.resolve("host.qcow2"));
    Path carrier = makeCarrier(dir.resolve("carrier"), base);
    String top = session(carrier, "write -P 1 64k 128k", "write -P 2 3M 4k");

    CliRun r = CliRun.of("sync", carrier.toString(), "--host-image", host.toString(), "--json",
        "--passphrase-file", pass().toString());
    assertEquals(ExitCodes.OK, r.exitCode(), r.err());
    JsonNode synced = JSON.readTree(r.out());
    assertEquals("synced", synced.get("status").asText(), r.out());
    assertEquals(2, synced.get("generation").asLong(), r.out());
    // The host image holds what the carrier's chain shows, read by qemu-img with the key, and is
    // still the plain qcow2 the user made.
    run("qemu-img", "compare", "--object", "secret,id=k,file=" + secretFile(carrier),
        "--image-opts", "driver=qcow2,file.filename=" + top + ",encrypt.key-secret=k"
            + ",backing.encrypt.key-secret=k,backing.backing.encrypt.key-secret=k",
        "driver=qcow2,file.filename=" + host);
    assertFalse(run("qemu-img", "info", host.toString()).contains("encrypted: yes"));
    assertTrue(run("qemu-img", "info", top).contains("encrypted: yes"));

    r = CliRun.of("sync", carrier.toString(), "--host-image", host.toString(), "--json",
        "--passphrase-file", pass().toString());
    assertEquals("up-to-date", JSON.readTree(r.out()).get("status").asText(), r.out());
  }

  @Test
  void exportReadsTheGuestsFilesFromAnEncryptedCarrier() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Path disk = TestGuest.get().copyDiskTo(src);
    Path carrier = makeCarrier(dir.resolve("guest-carrier"), disk);
    Path raw = dir.resolve("disk.raw");
    run("qemu-img", "convert", "-O", "raw", disk.toString(), raw.toString());
    byte[] readme = bytes("debugfs", "-R", "cat /README", raw.toString());
    assertTrue(readme.length > 0);

    CliRun r = CliRun.of("export", carrier.toString(), "--guest-path", "/README", "--to",
        dir.resolve("out").toString(), "--passphrase-file", pass().toString());
    assertEquals(ExitCodes.OK, r.exitCode(), r.err());
    assertArrayEquals(readme, Files.readAllBytes(dir.resolve("out/README")));
    // The carrier's base holds none of it in the clear.
    byte[] stored = Files.readAllBytes(carrier.resolve("base.qcow2"));
    assertEquals(-1, dev.carryon.testdata.ByteSearch.indexOf(stored, readme));
  }

  private Path pass() throws IOException {
    Path pass = dir.resolve("pass");
    if (!Files.exists(pass)) {
      Files.writeString(pass, PASSPHRASE + "\n");
    }
    return pass;
  }

  /** The disk secret of {@code carrier} in a file, for qemu-img's {@code --object secret}. */
  private Path secretFile(Path carrier) throws IOException {
    try (Carrier c = SessionKit.open(carrier)) {
      return Files.write(dir.resolve("disk.secret"), c.diskSecret().orElseThrow());
    }
  }

  private static Path makeCarrier(Path folder, Path base) throws IOException {
    CarrierKeys.use(c -> PASSPHRASE.toCharArray());
    CarrierInit init = new CarrierInit(VM, base, null, null, null, null, HOME, "s1", "init", 3);
    try (Carrier c = Carrier.createEncrypted(
        SessionKit.storage(folder), init, Progress.NONE, PASSPHRASE.toCharArray())) {
      return folder;
    }
  }

  /**
   * Ends a session whose local COW (encrypted with the carrier's secret, as resume makes it)
   * qemu-io wrote {@code writes} into; returns the new top image's file.
   */
  private String session(Path carrierFolder, String... writes) throws IOException {
    CarrierKeys.use(c -> PASSPHRASE.toCharArray());
    try (Carrier c = SessionKit.openForWrite(carrierFolder)) {
      String session = "s" + (c.current().number() + 1);
      c.takeLease(HOME, session);
      SessionEnd end = c.beginEnd(HOME, session, c.current().number());
      Path local = dir.resolve("local.qcow2");
      byte[] secret = c.diskSecret().orElseThrow();
      Qcow2Creator.create(local, -1, SessionKit.file(c, c.current().top()).toString(), "qcow2",
          Qcow2Creator.DEFAULT_CLUSTER_SIZE, 3, Encryption.luks(secret));
      Path secretFile = Files.write(dir.resolve("local.secret"), secret);
      List<String> args = new ArrayList<>(
          List.of("qemu-io", "--object", "secret,id=k,file=" + secretFile));
      for (String w : writes) {
        args.add("-c");
        args.add(w);
      }
      args.addAll(List.of("--image-opts", "driver=qcow2,file.filename=" + local
          + ",encrypt.key-secret=k,backing.encrypt.key-secret=k,backing.backing.encrypt.key-secret=k"));
      run(args.toArray(String[]::new));
      end.copyLayer(local, Progress.NONE);
      end.coldBoot();
      c.commitGeneration(end, "test");
      Files.delete(local);
      return SessionKit.file(c, c.current().top()).toString();
    }
  }

  private static String run(String... command) throws IOException {
    return new String(bytes(command), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      assertEquals(0, p.waitFor(), () -> String.join(" ", command) + ":\n" + err);
    } catch (InterruptedException e) {
      throw new IOException(e);
    }
    return out;
  }
}
