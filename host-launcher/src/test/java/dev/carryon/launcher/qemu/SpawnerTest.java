package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SpawnerTest {
  @Test
  void anExitedProcessOfAnotherParentCountsAsGoneBeforeItIsReaped() throws Exception {
    // The shell starts a short child, then becomes a sleep that never reaps it: a zombie whose
    // parent is not this JVM, as a detached QEMU is once init has not reaped it yet.
    Process parent =
        new ProcessBuilder("sh", "-c", "sleep 0.5 & echo $!; exec sleep 20").redirectErrorStream(true).start();
    try {
      long pid;
      try (BufferedReader out =
          new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.US_ASCII))) {
        pid = Long.parseLong(out.readLine().strip());
        ProcessHandle child = ProcessHandle.of(pid).orElseThrow();
        long start = System.nanoTime();
        assertTrue(Spawner.waitFor(child, Duration.ofSeconds(10)));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 1500, "took " + millis + " ms");
        assertEquals(parent.pid(), child.parent().map(ProcessHandle::pid).orElse(-1L));
        assertTrue(Spawner.isZombie(pid), "still unreaped: the wait did not rely on its parent");
      }
    } finally {
      parent.destroyForcibly();
      parent.waitFor();
    }
  }

  @Test
  void aRunningProcessOfAnotherParentIsWaitedForUntilTheTimeout() throws Exception {
    Process parent =
        new ProcessBuilder("sh", "-c", "sleep 20 & echo $!; wait").redirectErrorStream(true).start();
    long pid = 0;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.US_ASCII))) {
      pid = Long.parseLong(out.readLine().strip());
      ProcessHandle child = ProcessHandle.of(pid).orElseThrow();
      assertFalse(Spawner.waitFor(child, Duration.ofMillis(100)));
      assertFalse(Spawner.isZombie(pid));
      child.destroy();
      assertTrue(Spawner.waitFor(child, Duration.ofSeconds(10)));
    } finally {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      parent.destroyForcibly();
      parent.waitFor();
    }
  }
}
