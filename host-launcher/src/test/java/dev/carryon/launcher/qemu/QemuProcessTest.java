package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.VmConfig;
import dev.carryon.launcher.qmp.QmpClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuProcessTest {
  private static final Duration T = Duration.ofSeconds(15);

  @TempDir Path dir;

  @AfterAll
  static void noQemuLeft() throws Exception {
    TestQemu.assertNoOrphans();
  }

  @Test
  void runsQemuItselfInASessionOfItsOwn() throws Exception {
    try (QemuProcess qemu = QemuProcess.start(TestQemu.tinyLaunch(dir))) {
      String comm = Files.readString(Path.of("/proc", Long.toString(qemu.pid()), "comm")).strip();
      assertEquals("qemu-system-x86", comm, "setsid/setpriv exec QEMU in place");
      String[] stat = Files.readString(Path.of("/proc", Long.toString(qemu.pid()), "stat")).split("\\) ")[1].split(" ");
      assertEquals(Long.toString(qemu.pid()), stat[3], "session id: Ctrl-C at our terminal does not reach QEMU");
      assertTrue(Files.isDirectory(qemu.workDir()));
      assertTrue(qemu.workDir().getFileName().toString().startsWith(QemuProcess.WORK_DIR_PREFIX));
    }
  }

  @Test
  void stopQuitsCleanlyAndCloseDeletesTheWorkFolder() throws Exception {
    QemuProcess qemu = QemuProcess.start(TestQemu.tinyLaunch(dir));
    assertEquals(0, qemu.stop(T), "quit over QMP ends QEMU with 0");
    assertFalse(qemu.isAlive());
    assertFalse(qemu.qmp().isOpen());
    qemu.close();
    qemu.close();
    assertFalse(Files.exists(qemu.workDir()));
  }

  @Test
  void aQemuThatDoesNotAnswerIsKilled() throws Exception {
    QemuProcess qemu = QemuProcess.start(TestQemu.tinyLaunch(dir));
    // A stopped process answers neither quit nor SIGTERM; only SIGKILL ends it.
    assertEquals(0, new ProcessBuilder("kill", "-STOP", Long.toString(qemu.pid())).start().waitFor());
    long start = System.nanoTime();
    assertEquals(128 + 9, qemu.stop(Duration.ofMillis(300)));
    assertTrue(System.nanoTime() - start < T.toNanos());
    qemu.close();
  }

  @Test
  void aStartFailureQuotesQemu() {
    VmConfig bad = new VmConfig("pc-q35-0.1", "qemu64", 32, 1, "virtio-blk", null, null, null, null);
    Exception e =
        assertThrows(
            java.io.IOException.class, () -> QemuProcess.start(QemuLaunch.of(bad, dir)));
    assertTrue(e.getMessage().startsWith("QEMU exited with code 1 at start: "), e.getMessage());
    assertTrue(e.getMessage().contains("unsupported machine type"), e.getMessage());
    // Detached, its exit code is its new parent's: QEMU's own words still say why.
    Exception detached =
        assertThrows(
            java.io.IOException.class, () -> QemuProcess.startDetached(QemuLaunch.of(bad, dir)));
    assertTrue(detached.getMessage().contains("unsupported machine type"), detached.getMessage());
  }

  @Test
  void aJvmThatExitsTakesItsQemuAlong() throws Exception {
    long pid = Long.parseLong(runHolder("exit", false)[0]);
    assertGone(pid);
  }

  @Test
  void aDetachedQemuOutlivesItsJvmAndAnswersAnotherOne() throws Exception {
    String[] started = runHolder("detach", false);
    long pid = Long.parseLong(started[0]);
    Path workDir = Path.of(started[1]);
    try {
      Thread.sleep(500);
      assertTrue(isQemu(pid), "the detached QEMU died with its JVM");
      try (QmpClient qmp = QmpClient.connect(workDir.resolve("qmp.sock"), T)) {
        assertEquals("running", qmp.execute("query-status", T).path("status").asText());
        qmp.execute("quit", T);
      }
      assertGone(pid);
    } finally {
      new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor();
      QemuProcess.deleteTree(workDir);
    }
  }

  @Test
  void aJvmKilledOutrightTakesItsQemuAlong() throws Exception {
    String[] started = runHolder("wait", true);
    assertGone(Long.parseLong(started[0]));
    // No hook ran in the killed JVM: its work folder is left behind, as after a power cut.
    assertTrue(Files.isDirectory(Path.of(started[1])));
    QemuProcess.deleteTree(Path.of(started[1]));
  }

  /**
   * Runs {@link QemuHolder} in a child JVM and returns its QEMU's pid and work folder once the
   * child is gone.
   */
  private String[] runHolder(String mode, boolean kill) throws Exception {
    Process child =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"),
                    QemuHolder.class.getName(), dir.toString(), mode))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String[] started;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
      started = out.readLine().strip().split(" ");
      long pid = Long.parseLong(started[0]);
      assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
      if (kill) {
        child.destroyForcibly();
      }
      assertTrue(child.waitFor(T.toSeconds(), java.util.concurrent.TimeUnit.SECONDS));
    } finally {
      child.destroyForcibly();
    }
    return started;
  }

  private static void assertGone(long pid) throws InterruptedException {
    long deadline = System.nanoTime() + T.toNanos();
    while (isQemu(pid) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertFalse(isQemu(pid), "QEMU " + pid + " outlived its JVM");
  }

  /** Alive and not a zombie (this container's init may never reap an orphan). */
  private static boolean isQemu(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.contains("(qemu-system-x86)") && !stat.split("\\) ")[1].startsWith("Z");
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
