package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.launcher.qemu.TestQemu;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.TestGuest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
  private static final Duration BOOT = Duration.ofSeconds(90);
  private static final Pattern OVERLAY_LINE = Pattern.compile("carryon: overlay (\\S+) \\(deleted on exit\\)");

  private static TestGuest guest;

  @TempDir Path dir;

  @BeforeAll
  static void guest() {
    guest = TestGuest.get();
  }

  @AfterAll
  static void noQemuLeft() throws Exception {
    TestQemu.assertNoOrphans();
  }

  // ---- bad input: each one line, each its exit code, nothing started ----

  @Test
  void anUnknownOptionIsAUsageError() {
    CliRun run = CliRun.of("run", "--image", "x", "--frobnicate");
    assertEquals(ExitCodes.USAGE, run.exitCode());
    assertTrue(run.err().contains("Unknown option: '--frobnicate'"), run.err());
  }

  @Test
  void aMissingDiskIsNamed() {
    Path missing = dir.resolve("nope.qcow2");
    assertFails(ExitCodes.BAD_INPUT, "DISK " + missing + ": no such file", "run", "--image", missing.toString());
  }

  @Test
  void anEmptyFileOrAFolderIsNoDisk() throws IOException {
    Path empty = Files.createFile(dir.resolve("empty.img"));
    assertFails(ExitCodes.BAD_INPUT, "DISK " + empty + " is not a disk image (empty file)", "run", "--image", empty.toString());
    assertFails(ExitCodes.BAD_INPUT, "DISK " + dir + " is a directory, not a disk image", "run", "--image", dir.toString());
  }

  @Test
  void aMissingKernelIsNamed() throws IOException {
    Path disk = guest.copyDiskTo(dir);
    Path kernel = dir.resolve("vmlinuz");
    assertFails(ExitCodes.BAD_INPUT, "--kernel " + kernel + ": no such file",
        "run", "--image", disk.toString(), "--kernel", kernel.toString());
  }

  @Test
  void anInitrdNeedsAKernel() throws IOException {
    Path disk = guest.copyDiskTo(dir);
    assertFails(ExitCodes.USAGE, "--initrd needs --kernel",
        "run", "--image", disk.toString(), "--initrd", guest.initrd().toString());
  }

  @Test
  void anExistingOverlayIsNotOverwritten() throws IOException {
    Path disk = guest.copyDiskTo(dir);
    Path overlay = Files.writeString(dir.resolve("mine.qcow2"), "precious");
    assertFails(ExitCodes.REFUSED, "--overlay " + overlay + " already exists; remove it or choose another path",
        "run", "--image", disk.toString(), "--overlay", overlay.toString());
    assertEquals("precious", Files.readString(overlay));
  }

  @Test
  void aBadMemorySizeIsAUsageError() {
    CliRun run = CliRun.of("run", "--image", "x", "--memory", "lots");
    assertEquals(ExitCodes.USAGE, run.exitCode());
    assertTrue(run.err().contains("'lots' is not a size like 256M or 2G"), run.err());
  }

  @Test
  void missingQemuIsAnEnvironmentError() throws Exception {
    Path disk = guest.copyDiskTo(dir);
    Path missing = dir.resolve("no-qemu");
    ProcessBuilder pb = carryon("run", "--image", disk.toString());
    pb.environment().put("CARRYON_QEMU", missing.toString());
    Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(ExitCodes.ENVIRONMENT, p.exitValue(), err);
    assertEquals(
        "carryon: QEMU is not installed (" + missing + " from CARRYON_QEMU is not an executable file);"
            + " install Debian's qemu-system-x86\n",
        err);
  }

  @Test
  void helpDescribesTheCommand() {
    CliRun run = CliRun.of("run", "--help");
    assertEquals(ExitCodes.OK, run.exitCode());
    assertTrue(run.out().contains("--image=DISK"), run.out());
    assertTrue(run.out().contains("never written"), run.out());
  }

  // ---- real runs ----

  /**
   * In-process run with a kept overlay; the VM ends by itself (QEMU told to terminate, as on a
   * guest power-off).
   */
  @Test
  void leavesTheDiskUntouchedAndTheWritesInTheOverlay() throws Exception {
    Path disk = guest.copyDiskTo(dir);
    String before = sha256(disk);
    Path overlay = dir.resolve("session.qcow2");
    Path console = dir.resolve("console.log");
    CompletableFuture<CliRun> run =
        CompletableFuture.supplyAsync(
            () -> CliRun.of(
                "run", "--image", disk.toString(), "--kernel", guest.kernel().toString(),
                "--initrd", guest.initrd().toString(), "--append", guest.append(),
                "--memory", "256M", "--console", console.toString(), "--overlay", overlay.toString()));
    CliRun done;
    try {
      ConsoleLog log = new ConsoleLog(console);
      log.waitFor(ConsoleLog.BOOT, BOOT);
      log.waitFor(Pattern.compile("TICK 2 "), BOOT);
    } finally {
      // The guest cannot power itself off: QEMU is told to terminate, as it does on a power-off.
      String qemu = TestQemu.qemusMatching(console.toString());
      assertFalse(qemu.isEmpty(), "no QEMU writes " + console);
      String pid = qemu.split(" ")[0];
      assertEquals(0, new ProcessBuilder("kill", "-TERM", pid).start().waitFor());
      done = run.get(60, TimeUnit.SECONDS);
    }

    assertEquals(ExitCodes.OK, done.exitCode(), done.err());
    assertTrue(done.err().contains("carryon: accelerator "), done.err());
    assertTrue(done.err().contains("carryon: serial console written to " + console), done.err());
    assertEquals(before, sha256(disk), "DISK was written");
    JsonNode info = new ObjectMapper().readTree(qemuImg("info", "--output=json", overlay.toString()).out);
    assertEquals(disk.toAbsolutePath().toString(), info.path("backing-filename").asText());
    assertEquals("qcow2", info.path("backing-filename-format").asText());
    QemuImgRun compare = qemuImg("compare", disk.toString(), overlay.toString());
    assertEquals(1, compare.exit, "the guest's writes are in the overlay: " + compare.out);
  }

  /** As a user runs it: a child JVM, console on stdout, stopped with Ctrl-C (SIGINT). */
  @Test
  void ctrlCStopsTheVmAndDeletesTheOverlay() throws Exception {
    Path disk = guest.copyDiskTo(dir);
    String before = sha256(disk);
    List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT"));
    command.addAll(carryon(
        "run", "--image", disk.toString(), "--kernel", guest.kernel().toString(),
        "--initrd", guest.initrd().toString(), "--append", guest.append()).command());
    Process child = new ProcessBuilder(command).start();
    try {
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(child.getErrorStream()));
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      List<String> console = new ArrayList<>();
      for (String line; (line = out.readLine()) != null; ) {
        console.add(line);
        if (line.startsWith("TICK 2 ")) {
          break;
        }
      }
      assertTrue(console.stream().anyMatch(l -> ConsoleLog.BOOT.matcher(l).find()), "console on stdout: " + console);
      assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(child.pid())).start().waitFor());
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "carryon run did not stop on SIGINT");
      assertEquals(ExitCodes.INTERRUPTED, child.exitValue());
      String stderr = err.get(10, TimeUnit.SECONDS);
      Matcher m = OVERLAY_LINE.matcher(stderr);
      assertTrue(m.find(), stderr);
      assertFalse(Files.exists(Path.of(m.group(1))), "overlay left behind: " + m.group(1));
      assertFalse(Files.exists(Path.of(m.group(1)).getParent()), "overlay folder left behind");
      assertEquals("", TestQemu.qemusMatching(disk.toString()), "QEMU left running");
      assertEquals(before, sha256(disk));
    } finally {
      child.destroyForcibly();
    }
  }

  private static void assertFails(int exitCode, String message, String... args) {
    CliRun run = CliRun.of(args);
    assertEquals("carryon: " + message + "\n", run.err());
    assertEquals(exitCode, run.exitCode());
  }

  /** A child JVM running {@code carryon ARGS}. */
  private static ProcessBuilder carryon(String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  private record QemuImgRun(int exit, String out) {}

  private static QemuImgRun qemuImg(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("qemu-img"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = readAll(p.getInputStream());
    return new QemuImgRun(p.waitFor(), out);
  }

  private static String readAll(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    digest.update(Files.readAllBytes(file));
    return HexFormat.of().formatHex(digest.digest());
  }
}
