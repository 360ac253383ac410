package dev.carryon.launcher.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The hoard's thread alone runs at nice 19 and in the idle I/O class; the others keep theirs. */
class LowPriorityTest {
  @Test
  void onlyTheCallingThreadIsLowered() throws Exception {
    String[] seen = new String[4];
    Thread t =
        new Thread(() -> {
          seen[0] = LowPriority.ofThisThread();
          try {
            seen[1] = tid();
            seen[2] = ionice(seen[1]);
            seen[3] = Integer.toString(nice(seen[1])); // read while the thread lives
          } catch (IOException | InterruptedException e) {
            seen[2] = e.toString();
          }
        });
    t.start();
    t.join();
    assertTrue(seen[0].contains("nice 19 (set)") && seen[0].contains("idle I/O class (set)"), seen[0]);
    assertEquals("19", seen[3], "the lowered thread's nice value");
    assertEquals("idle", seen[2], "its I/O class");
    String here = tid();
    assertEquals(0, nice(here), "another thread's nice value is untouched");
    assertTrue(!ionice(here).equals("idle"), "another thread's I/O class is untouched");
  }

  private static String tid() throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
  }

  /** Field 19 of /proc/self/task/TID/stat (after the parenthesised name). */
  private static int nice(String tid) throws IOException {
    String stat = Files.readString(Path.of("/proc/self/task", tid, "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(f[16]);
  }

  private static String ionice(String tid) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ionice", "-p", tid).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    p.waitFor();
    return out;
  }
}
