package dev.carryon.launcher.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.launcher.qemu.QemuProcess;
import dev.carryon.launcher.qemu.TestQemu;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real QEMU: a tiny diskless VM. */
class QmpClientTest {
  private static final Duration T = Duration.ofSeconds(10);

  @TempDir Path dir;
  private QemuProcess qemu;
  private QmpClient qmp;

  @BeforeEach
  void start() throws IOException {
    qemu = QemuProcess.start(TestQemu.tinyLaunch(dir));
    qmp = qemu.qmp();
  }

  @AfterEach
  void stop() {
    qemu.close();
  }

  @AfterAll
  static void noQemuLeft() throws Exception {
    TestQemu.assertNoOrphans();
  }

  @Test
  void handshakeLeavesTheClientReadyForCommands() throws IOException {
    assertEquals(7, qmp.version().path("qemu").path("major").asInt(), qmp.version().toString());
    assertEquals("running", qmp.execute("query-status", T).path("status").asText());
  }

  @Test
  void aCommandErrorIsTyped() {
    QmpException notFound =
        assertThrows(QmpException.class, () -> qmp.execute("no-such-command", T));
    assertEquals("CommandNotFound", notFound.errorClass());
    assertEquals("no-such-command", notFound.command());

    QmpException noDevice =
        assertThrows(QmpException.class, () -> qmp.execute("device_del", Map.of("id", "nope"), T));
    assertEquals("DeviceNotFound", noDevice.errorClass());
    assertEquals("Device 'nope' not found", noDevice.description());
  }

  @Test
  void textTravelsAsUtf8BothWays() {
    String id = "disque-é→磁盘";
    QmpException e =
        assertThrows(QmpException.class, () -> qmp.execute("device_del", Map.of("id", id), T));
    assertEquals("Device '" + id + "' not found", e.description());
  }

  @Test
  void eventsGoToListenersAndWaitersNotToCommands() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    qmp.addEventListener(event -> seen.add(event.name()));
    CompletableFuture<QmpEvent> stopped = qmp.nextEvent("STOP");
    assertTrue(qmp.execute("stop", T).isEmpty(), "stop returns {}");
    assertEquals("STOP", stopped.get().name());
    assertEquals("paused", qmp.execute("query-status", T).path("status").asText());

    CompletableFuture<QmpEvent> resumed = qmp.nextEvent("RESUME");
    qmp.execute("cont", T);
    QmpEvent resume = resumed.get();
    assertTrue(resume.timestampMicros() > 0);
    assertEquals(List.of("STOP", "RESUME"), seen);
  }

  @Test
  void waitForEventTimesOut() {
    QmpTimeoutException e =
        assertThrows(
            QmpTimeoutException.class, () -> qmp.waitForEvent("BLOCK_JOB_READY", Duration.ofMillis(100)));
    assertEquals("wait for QMP event BLOCK_JOB_READY got no answer within 100 ms", e.getMessage());
  }

  @Test
  void repliesNobodyWaitsForAreDropped() throws Exception {
    ObjectNode orphan = JsonNodeFactory.instance.objectNode();
    orphan.put("execute", "query-status");
    orphan.put("id", "nobody-waits");
    qmp.send(orphan);
    // A command that times out: its late reply must not be taken for the next command's. QEMU is
    // frozen meanwhile, so the timeout is certain however fast the machine is.
    signal("STOP");
    try {
      assertThrows(QmpTimeoutException.class, () -> qmp.execute("query-kvm", Duration.ofMillis(200)));
    } finally {
      signal("CONT");
    }
    assertEquals("running", qmp.execute("query-status", T).path("status").asText());
    long deadline = System.nanoTime() + T.toNanos();
    while (qmp.droppedReplies() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(2, qmp.droppedReplies());
  }

  private void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(qemu.pid())).start();
    assertEquals(0, kill.waitFor(), "kill -" + name);
  }

  @Test
  void aClosedConnectionFailsCommandsAtOnce() throws Exception {
    qmp.execute("quit", T);
    assertTrue(qemu.waitForExit(T));
    long start = System.nanoTime();
    IOException e = assertThrows(IOException.class, () -> qmp.execute("query-status", T));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertTrue(System.nanoTime() - start < T.toNanos() / 2, "failed without waiting");
    assertEquals(0, qemu.exitCode().getAsInt());
  }
}
