package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void aDetachedProcessIsNoChildOfThisJvmAndWritesWhereItIsTold(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out.log");
    Files.writeString(out, "before\n");
    ProcessHandle p =
        Spawner.startDetached(
            new ProcessBuilder("sh", "-c", "umask; echo $$; exec sleep 30")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.DISCARD),
            out);
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (Files.readAllLines(out).size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      // Appended to, with the umask set, and the pid said is the program's own.
      assertEquals(List.of("before", "0077", Long.toString(p.pid())), Files.readAllLines(out));
      assertTrue(p.isAlive());
      assertNotEquals(ProcessHandle.current().pid(), p.parent().map(ProcessHandle::pid).orElse(-1L));
      // Nothing of it is this JVM's child any more: no thread of the JDK waits for it.
      assertEquals(List.of(), ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList());
    } finally {
      p.destroyForcibly();
    }
  }
}
