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
import dev.carryon.launcher.cli.Main;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.testdata.ByteSearch;
import dev.carryon.testdata.LuksImageOpts;
import dev.carryon.testdata.TestGuest;
import java.io.BufferedReader;

import java.io.IOException;
import java.io.InputStreamReader;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real runs of {@code carryon sync} and {@code carryon export} through {@link Main#execute}, on
 * carriers of real qcow2 images (plain and encrypted), checked with qemu-img and debugfs.
 */
class SyncCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HostIdentity HOME = new HostIdentity("host-home-1", "home-pc");
  private static final String PASSPHRASE = "correct horse";
  private static final VmConfig VM =
      new VmConfig(
          "pc-q35-7.2", "qemu64", 256, 1, "virtio-blk", null, null, "console=ttyS0", List.of());

  @TempDir static Path home;
  private static String oldHome;

  @TempDir Path dir;
  private Path carrier;
  private Path host;

  /** Exit code and what the command printed. */
  record Run(int exit, String out, String err) {}

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

  /** A carrier over a 4 MiB qcow2 base with one session, and the host's copy of the base. */
  @BeforeEach
  void carrierAndHostImage() throws IOException {
    Path base = dir.resolve("base.qcow2");
    run(0, "qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "4M");
    run(0, "qemu-io", "-c", "write -P 17 0 4M", base.toString());
    host = Files.copy(base, dir.resolve("host.qcow2"));
    carrier = makeCarrier(dir.resolve("carrier"), base);
    session(carrier, "write -P 1 64k 128k", "write -P 2 3M 4k");
  }

  @Test
  void syncThenSyncAgainWritesNothing() throws IOException {
    Run r = carryon("sync", carrier.toString(), "--host-image", host.toString(), "--json");
    assertEquals(ExitCodes.OK, r.exit, r.err);
    JsonNode first = JSON.readTree(r.out);
    assertEquals("synced", first.get("status").asText());
    assertEquals("first", first.get("mode").asText());
    assertEquals(2, first.get("generation").asLong());
    assertEquals(3, first.get("clusters_written").asLong());
    assertTrue(first.get("reset").isNull());
    assertEquals(0, exec("qemu-img", "compare", host.toString(), top()).exit);

    r = carryon("sync", carrier.toString(), "--host-image", host.toString());
    assertEquals(ExitCodes.OK, r.exit, r.err);
    assertTrue(r.out.matches(
        "(?s)\\Q" + host + "\\E is up to date with generation 2 of .*: nothing written in .*"), r.out);
    r = carryon("sync", carrier.toString(), "--host-image", host.toString(), "--json");
    assertEquals(0, JSON.readTree(r.out).get("file_bytes_written").asLong());
    assertEquals("up-to-date", JSON.readTree(r.out).get("status").asText());
  }

  @Test
  void resetAboveASize() throws IOException {
    Run r =
        carryon("sync", carrier.toString(), "--host-image", host.toString(), "--reset-above", "0");
    assertEquals(ExitCodes.OK, r.exit, r.err);
    assertEquals("", r.err, "no progress bar without a terminal");
    assertTrue(r.out.contains("synced generation 2 of " + carrier), r.out);
    assertTrue(r.out.contains("reset: COW was "), r.out);
    assertTrue(r.out.contains("folded cow.qcow2, layers/L2.qcow2 into the base"), r.out);
    assertTrue(r.out.contains("generation 3 continues; dropped checkpoints: [1, 2]"), r.out);
    assertEquals(List.of("base.qcow2", "cow.qcow2"), SessionKit.open(carrier).current().chain());
    assertEquals(3, SessionKit.open(carrier).current().number());
    assertEquals(0, exec("qemu-img", "compare", host.toString(), top()).exit);
    run(0, "qemu-img", "check", carrier.resolve("base.qcow2").toString());
    run(0, "qemu-img", "check", carrier.resolve("cow.qcow2").toString());

    r = carryon("sync", carrier.toString(), "--host-image", host.toString(), "--reset-above",
        "1G", "--json");
    assertTrue(JSON.readTree(r.out).get("reset").isNull(), r.out);
  }

  /** On a terminal (a pseudo-terminal from util-linux's {@code script}) the fold and the reset draw bars. */
  @Test
  void barsOnATerminal() throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    String command =
        String.join(
            " ",
            quoted(java.toString()),
            "-XX:TieredStopAtLevel=1",
            quoted("-Dcarryon.home=" + home),
            "-cp",
            quoted(System.getProperty("java.class.path")),
            Main.class.getName(),
            "sync",
            quoted(carrier.toString()),
            "--host-image",
            quoted(host.toString()),
            "--reset-above",
            "0");
    Run r = exec("script", "-qec", command, "/dev/null");
    assertEquals(0, r.exit, r.out);
    // Each bar ends at 100 % on its own line, the fold's before the reset's, before the summary.
    int synced = r.out.indexOf("syncing [" + "#".repeat(40) + "] 100%\r\n");
    int reset = r.out.indexOf("resetting [" + "#".repeat(40) + "] 100%\r\n");
    int summary = r.out.indexOf("synced generation 2 of ");
    assertTrue(synced >= 0 && synced < reset && reset < summary, r.out);
    assertTrue(r.out.contains("\rsyncing [" + "#".repeat(20)), r.out); // redrawn on the way
    assertEquals(0, exec("qemu-img", "compare", host.toString(), top()).exit);
  }

  private static String quoted(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  @Test
  void refusalsAndBadInput() throws IOException {
    Path other = dir.resolve("other.qcow2");
    run(0, "qemu-img", "create", "-q", "-f", "qcow2", other.toString(), "4M");
    Run r = carryon("sync", carrier.toString(), "--host-image", other.toString());
    assertEquals(ExitCodes.REFUSED, r.exit, r.err);
    assertOneLine(r.err, "carryon: " + other + ": the 64 KiB at byte 0 differ from the carrier");

    Path small = dir.resolve("small.qcow2");
    run(0, "qemu-img", "create", "-q", "-f", "qcow2", small.toString(), "2M");
    r = carryon("sync", carrier.toString(), "--host-image", small.toString());
    assertEquals(ExitCodes.BAD_INPUT, r.exit, r.err);
    assertOneLine(r.err, "carryon: " + small + ": virtual size 2097152 differs");

    r = carryon("sync", dir.resolve("nothing").toString(), "--host-image", host.toString());
    assertEquals(ExitCodes.BAD_INPUT, r.exit, r.err);
    assertOneLine(r.err, "carryon: " + dir.resolve("nothing") + ": no such folder");

    r = carryon("sync", carrier.toString(), "--host-image", dir.resolve("none.qcow2").toString());
    assertEquals(ExitCodes.BAD_INPUT, r.exit, r.err);
    assertOneLine(r.err, "carryon: " + dir.resolve("none.qcow2") + ": no such file");

    lease();
    byte[] before = Files.readAllBytes(host);
    r = carryon("sync", carrier.toString(), "--host-image", host.toString());
    assertEquals(ExitCodes.REFUSED, r.exit, r.err);
    assertOneLine(r.err, "carryon: " + carrier + ": leased by host home-pc (id host-home-1),"
        + " session busy");
    assertArrayEquals(before, Files.readAllBytes(host));
  }

  @Test
  void grammar() {
    assertEquals(ExitCodes.USAGE, carryon("sync", carrier.toString()).exit);
    Run r = carryon("sync", carrier.toString(), "--host-image", "h", "--reset-above", "lots");
    assertEquals(ExitCodes.USAGE, r.exit);
    assertTrue(r.err.contains("'lots' is not a size like 512, 64K, 100M or 10G"), r.err);
    r = carryon("sync", carrier.toString(), "--host-image", "h", "--every", "soon");
    assertEquals(ExitCodes.USAGE, r.exit);
    assertTrue(r.err.contains("'soon' is not an interval like 30s, 15m, 1h or 1d"), r.err);
    r = carryon("sync", carrier.toString(), "--host-image", "h", "--max-runs", "2");
    assertEquals(ExitCodes.USAGE, r.exit);
    assertTrue(r.err.contains("--max-runs needs --every"), r.err);
    r = carryon("sync", "--help");
    assertEquals(ExitCodes.OK, r.exit);
    assertTrue(r.out.contains("--reset-above=SIZE") && r.out.contains("--every=INTERVAL"), r.out);
    r = carryon("export", "--help");
    assertEquals(ExitCodes.OK, r.exit);
    assertTrue(r.out.contains("--guest-path=PATH"), r.out);
    r = carryon("export", carrier.toString(), "--guest-path", "/a", "--to", "x", "--tar", "y");
    assertEquals(ExitCodes.USAGE, r.exit);
    r = carryon("export", carrier.toString(), "--guest-path", "/a");
    assertEquals(ExitCodes.USAGE, r.exit);
    r = carryon("export", carrier.toString(), "--guest-path", "a", "--to", "x");
    assertEquals(ExitCodes.USAGE, r.exit);
    assertTrue(r.err.contains("must be an absolute guest path"), r.err);
    r = carryon("export", carrier.toString(), "--to", "x");
    assertEquals(ExitCodes.USAGE, r.exit);
    assertTrue(r.err.contains("--guest-path is required"), r.err);
    r = carryon("export", carrier.toString(), "--guest-path", "/a", "--to", "x", "--partition",
        "2", "--lv", "vg/root");
    assertEquals(ExitCodes.USAGE, r.exit);
    r = carryon("export", carrier.toString(), "--guest-path", "/a", "--mirror", "x",
        "--replace");
    assertEquals(ExitCodes.USAGE, r.exit);
    assertTrue(r.err.contains("a mirror always replaces"), r.err);
    r = carryon("export", carrier.toString(), "--guest-path", "/a", "--to", "x", "--reader",
        "fuse");
    assertEquals(ExitCodes.USAGE, r.exit);
    assertTrue(r.err.contains("--reader (fuse) must be auto, java or libguestfs"), r.err);
    r = carryon("sync", carrier.toString(), "--host-image", "h", "--mirror", "m");
    assertEquals(ExitCodes.USAGE, r.exit);
    assertTrue(r.err.contains("--mirror and --guest-path go together"), r.err);
    r = carryon("sync", carrier.toString(), "--host-image", "h", "--partition", "2");
    assertEquals(ExitCodes.USAGE, r.exit);
    assertTrue(r.err.contains("--partition and --lv go with --mirror"), r.err);
  }

  @Test
  void periodicRunsSkipALeasedCarrierAndPrintOneJsonObjectPerRun() throws IOException {
    lease();
    Run r = carryon("sync", carrier.toString(), "--host-image", host.toString(), "--every", "1s",
        "--max-runs", "2");
    assertEquals(ExitCodes.REFUSED, r.exit, r.err);
    String[] lines = r.err.strip().split("\n");
    assertEquals(2, lines.length, r.err);
    for (String line : lines) {
      assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ skipped: .*leased by host"
          + " home-pc .*"), line);
    }
    try (Carrier c = SessionKit.openForWrite(carrier)) {
      c.breakLease();
    }
    r = carryon("sync", carrier.toString(), "--host-image", host.toString(), "--every", "1s",
        "--max-runs", "2", "--json");
    assertEquals(ExitCodes.OK, r.exit, r.err);
    lines = r.out.strip().split("\n");
    assertEquals(2, lines.length, r.out);
    assertEquals("synced", JSON.readTree(lines[0]).get("status").asText());
    assertEquals("up-to-date", JSON.readTree(lines[1]).get("status").asText());
    assertTrue(JSON.readTree(lines[1]).get("time").asText().endsWith("Z"));
  }

  @Test
  void aPeriodicJobStopsCleanlyOnSigterm() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(
                java.toString(), "-XX:TieredStopAtLevel=1", "-Dcarryon.home=" + home,
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "sync", carrier.toString(), "--host-image", host.toString(), "--every", "1h",
                "--json")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      assertEquals("synced", JSON.readTree(line).get("status").asText(), line);
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the job did not stop on SIGTERM");
      assertEquals(143, p.exitValue(), "128 + SIGTERM: the JVM's own exit on the signal");
    } finally {
      p.destroyForcibly();
    }
    assertEquals(0, exec("qemu-img", "compare", host.toString(), top()).exit);
  }

  @Test
  void syncMirrorsAfterEachFold() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Path disk = TestGuest.get().copyDiskTo(src);
    Path guest = makeCarrier(dir.resolve("guest-carrier"), disk);
    Path hostCopy = Files.copy(disk, dir.resolve("host-copy.qcow2"));
    Path mirror = dir.resolve("mirror");
    Run r = carryon("sync", guest.toString(), "--host-image", hostCopy.toString(), "--mirror",
        mirror.toString(), "--guest-path", "/", "--every", "1s", "--max-runs", "2", "--json");
    assertEquals(ExitCodes.OK, r.exit, r.err);
    List<JsonNode> lines = new ArrayList<>();
    for (String line : r.out.strip().split("\n")) {
      lines.add(JSON.readTree(line));
    }
    assertEquals(List.of("synced", "mirrored", "up-to-date", "mirrored"),
        lines.stream().map(j -> j.get("status").asText()).toList(), r.out);
    assertTrue(lines.get(1).get("written").asLong() >= 2, r.out); // README, ticks.log ...
    assertEquals(lines.get(1).get("files").asLong(), lines.get(1).get("written").asLong());
    assertEquals(0, lines.get(3).get("written").asLong(), r.out);
    Path raw = dir.resolve("disk.raw");
    run(0, "qemu-img", "convert", "-O", "raw", disk.toString(), raw.toString());
    assertArrayEquals(runBytes("debugfs", "-R", "cat /README", raw.toString()),
        Files.readAllBytes(mirror.resolve("README")));
  }

  @Test
  void exportsFromTheTestGuestsDisk() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Path guest = makeCarrier(dir.resolve("guest-carrier"), TestGuest.get().copyDiskTo(src));
    Path raw = dir.resolve("disk.raw");
    run(0, "qemu-img", "convert", "-O", "raw", src.resolve("disk.qcow2").toString(),
        raw.toString());
    byte[] readme = runBytes("debugfs", "-R", "cat /README", raw.toString());

    Run r = carryon("export", guest.toString(), "--guest-path", "/README", "--to",
        dir.resolve("out").toString());
    assertEquals(ExitCodes.OK, r.exit, r.err);
    assertTrue(r.out.startsWith("exported /README from generation 1 of " + guest), r.out);
    assertArrayEquals(readme, Files.readAllBytes(dir.resolve("out/README")));

    r = carryon("export", guest.toString(), "--guest-path", "/README", "--to",
        dir.resolve("out").toString());
    assertEquals(ExitCodes.BAD_INPUT, r.exit, r.err);
    assertTrue(r.err.contains("--replace"), r.err);
    r = carryon("export", guest.toString(), "--guest-path", "/README", "--to",
        dir.resolve("out").toString(), "--replace");
    assertEquals(ExitCodes.OK, r.exit, r.err);

    Path tar = dir.resolve("readme.tar");
    r = carryon("export", guest.toString(), "--guest-path", "/", "--tar", tar.toString(),
        "--json");
    assertEquals(ExitCodes.OK, r.exit, r.err);
    JsonNode summary = JSON.readTree(r.out);
    assertTrue(summary.get("files").asLong() >= 2, r.out);
    assertEquals(1, summary.get("generation").asLong());
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        names.add(e.getName());
        if (e.getName().equals("README")) {
          assertArrayEquals(readme, in.readAllBytes());
        }
      }
    }
    assertTrue(names.contains("README"), names.toString());

    r = carryon("export", guest.toString(), "--guest-path", "/no/such", "--to",
        dir.resolve("out3").toString());
    assertEquals(ExitCodes.BAD_INPUT, r.exit, r.err);
    assertOneLine(r.err, "carryon: ");
    assertTrue(r.err.contains("/no/such") || r.err.contains("'no'"), r.err);

    r = carryon("export", carrier.toString(), "--guest-path", "/", "--to",
        dir.resolve("out4").toString());
    assertEquals(ExitCodes.BAD_INPUT, r.exit, r.err);
    assertOneLine(r.err, "carryon: " + carrier.toAbsolutePath() + " (generation 2) holds no file"
        + " system to export from. It holds: the whole disk: unknown contents");
  }

  /**
   * On an encrypted carrier, given its passphrase like every other command: the host image gets
   * the carrier's content and stays as the user made it (plain qcow2). The session's layer is
   * written by qemu-io through QEMU's own LUKS code, with the disk secret from a file.
   */
  @Test
  void syncFoldsAnEncryptedCarrierIntoAPlainHostImage() throws IOException {
    Path encrypted = makeEncryptedCarrier(dir.resolve("encrypted"), dir.resolve("base.qcow2"));
    String top = encryptedSession(encrypted, "write -P 1 64k 128k", "write -P 2 3M 4k");

    Run r = carryon("sync", encrypted.toString(), "--host-image", host.toString(), "--json",
        "--passphrase-file", pass().toString());
    assertEquals(ExitCodes.OK, r.exit, r.err);
    JsonNode synced = JSON.readTree(r.out);
    assertEquals("synced", synced.get("status").asText(), r.out);
    assertEquals(2, synced.get("generation").asLong(), r.out);
    // The host image holds what the carrier's chain shows, read by qemu-img with the key, and is
    // still the plain qcow2 the user made.
    run(0, "qemu-img", "compare", "--object", "secret,id=k,file=" + secretFile(encrypted),
        "--image-opts", LuksImageOpts.of(Path.of(top), 3, "k"),
        "driver=qcow2,file.filename=" + host);
    assertFalse(exec("qemu-img", "info", host.toString()).out.contains("encrypted: yes"));
    assertTrue(exec("qemu-img", "info", top).out.contains("encrypted: yes"));

    r = carryon("sync", encrypted.toString(), "--host-image", host.toString(), "--json",
        "--passphrase-file", pass().toString());
    assertEquals("up-to-date", JSON.readTree(r.out).get("status").asText(), r.out);
  }

  @Test
  void exportReadsTheGuestsFilesFromAnEncryptedCarrier() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Path disk = TestGuest.get().copyDiskTo(src);
    Path encrypted = makeEncryptedCarrier(dir.resolve("guest-carrier"), disk);
    Path raw = dir.resolve("disk.raw");
    run(0, "qemu-img", "convert", "-O", "raw", disk.toString(), raw.toString());
    byte[] readme = runBytes("debugfs", "-R", "cat /README", raw.toString());
    assertTrue(readme.length > 0);

    Run r = carryon("export", encrypted.toString(), "--guest-path", "/README", "--to",
        dir.resolve("out").toString(), "--passphrase-file", pass().toString());
    assertEquals(ExitCodes.OK, r.exit, r.err);
    assertArrayEquals(readme, Files.readAllBytes(dir.resolve("out/README")));
    // The carrier's base holds none of it in the clear.
    byte[] stored = Files.readAllBytes(encrypted.resolve("base.qcow2"));
    assertEquals(-1, ByteSearch.indexOf(stored, readme));
  }

  private String top() throws IOException {
    Carrier c = SessionKit.open(carrier);
    return SessionKit.file(c, c.current().top()).toString();
  }

  private void lease() throws IOException {
    try (Carrier c = SessionKit.openForWrite(carrier)) {
      c.takeLease(HOME, "busy");
    }
  }

  private static void assertOneLine(String err, String start) {
    assertTrue(err.startsWith(start), err);
    assertEquals(1, err.strip().split("\n").length, err);
  }

  private static Path makeCarrier(Path folder, Path base) throws IOException {
    CarrierInit init = new CarrierInit(VM, base, null, null, null, null, HOME, "s1", "init", 3);
    try (Carrier c = Carrier.create(SessionKit.storage(folder), init, Progress.NONE)) {
      return folder;
    }
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

  private static Path makeEncryptedCarrier(Path folder, Path base) throws IOException {
    CarrierKeys.use(c -> PASSPHRASE.toCharArray());
    CarrierInit init = new CarrierInit(VM, base, null, null, null, null, HOME, "s1", "init", 3);
    try (Carrier c = Carrier.createEncrypted(
        SessionKit.storage(folder), init, Progress.NONE, PASSPHRASE.toCharArray())) {
      return folder;
    }
  }

  /**
   * Ends a session on an encrypted carrier whose local COW (encrypted with the carrier's secret,
   * as resume makes it) qemu-io wrote {@code writes} into; returns the new top image's file.
   */
  private String encryptedSession(Path carrierFolder, String... writes) throws IOException {
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
      args.addAll(List.of("--image-opts", LuksImageOpts.of(local, 3, "k")));
      run(0, args.toArray(String[]::new));
      end.copyLayer(local, Progress.NONE);
      end.coldBoot();
      c.commitGeneration(end, "test");
      Files.delete(local);
      return SessionKit.file(c, c.current().top()).toString();
    }
  }

  /** Ends a session that made {@code writes} (qemu-io commands) on the carrier's current top. */
  private void session(Path carrierFolder, String... writes) throws IOException {
    try (Carrier c = SessionKit.openForWrite(carrierFolder)) {
      String session = "s" + (c.current().number() + 1);
      c.takeLease(HOME, session);
      SessionEnd end = c.beginEnd(HOME, session, c.current().number());
      Path local = dir.resolve("local.qcow2");
      run(0, "qemu-img", "create", "-q", "-f", "qcow2", "-b",
          SessionKit.file(c, c.current().top()).toString(), "-F", "qcow2", local.toString());
      List<String> args = new ArrayList<>(List.of("qemu-io"));
      for (String w : writes) {
        args.add("-c");
        args.add(w);
      }
      args.add(local.toString());
      run(0, args.toArray(String[]::new));
      end.copyLayer(local, Progress.NONE);
      end.coldBoot();
      c.commitGeneration(end, "test");
      Files.delete(local);
    }
  }

  private static Run carryon(String... args) {
    CliRun r = CliRun.of(args);
    return new Run(r.exitCode(), r.out(), r.err());
  }


  private static void run(int exit, String... command) throws IOException {
    Run r = exec(command);
    assertEquals(exit, r.exit, String.join(" ", command) + ":\n" + r.out + r.err);
  }

  private static byte[] runBytes(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out = p.getInputStream().readAllBytes();
    try {
      assertEquals(0, p.waitFor());
    } catch (InterruptedException e) {
      throw new IOException(e);
    }
    return out;
  }

  private static Run exec(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish");
      }
      return new Run(p.exitValue(), out, "");
    } catch (InterruptedException e) {
      throw new IOException(e);
    }
  }
}
