package dev.carryon.launcher.blocks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Lowers the calling thread's priority on Linux: CPU nice 19 and the idle I/O class, set on the
 * thread's own id ({@code renice}, {@code ionice}; both act on a single thread when given a thread
 * id). Java's own {@link Thread#setPriority} changes nothing on Linux (HotSpot ignores thread
 * priorities there unless run as root with {@code -XX:ThreadPriorityPolicy=1}). The scheduler
 * honours the nice value; the idle I/O class counts only under an I/O scheduler that has classes
 * (BFQ), not under {@code none} or {@code mq-deadline}.
 */
final class LowPriority {
  private LowPriority() {}

  /**
   * Makes the calling thread nice 19, idle I/O class; returns what was done, in words (a host
   * without the tools or /proc keeps normal priority: the hoard runs anyway).
   */
  static String ofThisThread() {
    String tid;
    try {
      // "/proc/thread-self" links to "PID/task/TID".
      tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
    } catch (IOException | UnsupportedOperationException e) {
      return "normal priority (no /proc/thread-self: " + e.getMessage() + ")";
    }
    String nice = run(List.of("renice", "-n", "19", "-p", tid));
    String io = run(List.of("ionice", "-c", "3", "-p", tid));
    return "thread " + tid + ": nice 19 " + nice + ", idle I/O class " + io;
  }

  private static String run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "(" + command.get(0) + " did not finish)";
      }
      return p.exitValue() == 0 ? "(set)" : "(" + command.get(0) + " failed: " + out + ")";
    } catch (IOException e) {
      return "(" + command.get(0) + " unavailable: " + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted)";
    }
  }
}
