package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Save and restore of a tiny diskless VM; the real guest's round trip is in {@link GuestTest}. */
class HibernationTest {
  private static final Duration T = Duration.ofSeconds(30);

  @TempDir Path dir;

  @AfterAll
  static void noQemuLeft() throws Exception {
    TestQemu.assertNoOrphans();
  }

  @Test
  void aSaveThatCannotBeWrittenFailsAndNeverContinuesTheGuest() throws Exception {
    OutputStream full =
        new OutputStream() {
          private long written;

          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            written += len;
            if (written > 4096) {
              throw new IOException("No space left on device");
            }
          }
        };
    try (QemuProcess vm = QemuProcess.start(TestQemu.tinyLaunch(dir))) {
      IOException e = assertThrows(IOException.class, () -> Hibernation.save(vm, Channels.newChannel(full), T));
      // Whether QEMU notices (migration failed: broken pipe) or its last bytes sit in the socket
      // buffer (completed) is a race; either way the save fails with the writer's own reason.
      assertEquals("cannot receive the saved state: No space left on device", e.getMessage());
      assertTrue(vm.isAlive(), "left for the caller to close");
      assertFalse(vm.qmp().execute("query-status", T).path("running").asBoolean());
      assertFalse(Files.exists(vm.workDir().resolve("save.sock")));
    }
  }

  @Test
  void aTinyVmRoundTrips() throws Exception {
    ByteArrayOutputStream state = new ByteArrayOutputStream();
    Hibernation.Stats saved;
    try (QemuProcess vm = QemuProcess.start(TestQemu.tinyLaunch(dir))) {
      List<long[]> progress = new ArrayList<>();
      saved = Hibernation.save(vm, Channels.newChannel(state), T, (done, total) -> progress.add(new long[] {done, total}));
      long[] last = progress.get(progress.size() - 1);
      assertTrue(last[1] > 0 && last[0] == last[1], "the progress ends at the RAM's size: " + last[0] + " of " + last[1]);
      // Paused with the guest's memory until the caller has recorded the state and quits it.
      assertEquals("postmigrate", vm.qmp().execute("query-status", T).path("status").asText());
    }
    assertEquals(state.size(), saved.stateBytes());
    try (QemuProcess vm = QemuProcess.start(TestQemu.tinyLaunch(dir).withIncoming(true))) {
      assertEquals("inmigrate", vm.qmp().execute("query-status", T).path("status").asText());
      Hibernation.Stats restored =
          Hibernation.restore(
              vm, Channels.newChannel(new ByteArrayInputStream(state.toByteArray())), T);
      assertEquals(saved.stateBytes(), restored.stateBytes());
      assertEquals("running", vm.qmp().execute("query-status", T).path("status").asText());
    }
  }

  @Test
  void restoreNeedsAnIncomingVm() throws Exception {
    try (QemuProcess vm = QemuProcess.start(TestQemu.tinyLaunch(dir))) {
      assertThrows(
          IllegalArgumentException.class,
          () ->
              Hibernation.restore(
                  vm, Channels.newChannel(new ByteArrayInputStream(new byte[0])), T));
    }
  }
}
