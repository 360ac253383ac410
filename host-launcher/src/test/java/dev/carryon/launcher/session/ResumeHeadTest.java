package dev.carryon.launcher.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.host.HostHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keeper a resume starts before anything else goes again when the resume goes no further. */
class ResumeHeadTest {
  @TempDir Path dir;

  @Test
  void aHeadNoResumeTookStopsItsKeeperAndLeavesNoFolder() throws Exception {
    HostHome home = HostHome.at(dir.resolve("home"));
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    try (ResumeSession.Head head =
        ResumeSession.Head.launch(home, carrier.toString(), List.of(carrier.toString()))) {
      // Given time to be forked: the close must stop a keeper that runs, not one never started.
      // Counted where seen: a keeper of this empty carrier folder may exit on its own right after.
      long deadline = System.nanoTime() + 30_000_000_000L;
      int seen = keepersOf(home).size();
      while (seen == 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
        seen = keepersOf(home).size();
      }
      assertEquals(1, seen, "no keeper was started");
    }
    assertEquals(List.of(), keepersOf(home), "a keeper still runs");
    try (Stream<Path> sessions = Files.list(home.sessionDir("x").getParent())) {
      assertEquals(List.of(), sessions.toList(), "a session folder was left");
    }
  }

  @Test
  void theKeeperStartsAsQuicklyAsTheCliDid() {
    assertEquals(
        List.of(
            "-XX:SharedArchiveFile=/x/carryon.jsa",
            "-XX:+UnlockDiagnosticVMOptions",
            "-XX:ArchiveRelocationMode=0",
            "-XX:+UseTransparentHugePages"),
        CarryonJvm.startOptions(
            "-XX:+UseSerialGC",
            "-XX:SharedArchiveFile=/x/carryon.jsa",
            "-XX:+UnlockDiagnosticVMOptions",
            "-XX:ArchiveRelocationMode=0",
            "-XX:+UseTransparentHugePages",
            "-Xlog:class+load=info:file=/tmp/cl.txt",
            "-XX:TieredStopAtLevel=1"));
  }

  @Test
  void aJvmListingItsClassesHasEachChildListTheirsApart() {
    String pid = Long.toString(ProcessHandle.current().pid());
    List<String> first = CarryonJvm.startOptions("-XX:DumpLoadedClassList=/t/12.classes");
    List<String> second = CarryonJvm.startOptions("-XX:DumpLoadedClassList=/t/12.classes");
    assertEquals(1, first.size());
    assertTrue(
        first.get(0).matches("-XX:DumpLoadedClassList=/t/12\\.classes\\.child-[0-9]+-of-" + pid),
        first.get(0));
    assertNotEquals(first, second, "two children would truncate one list");
  }

  /**
   * The keepers whose command line names a session folder of {@code home}, read from {@code /proc}
   * (the JDK's {@code ProcessHandle.Info} cuts a long command line short, as this JVM's class path
   * makes the keeper's).
   */
  private static List<Long> keepersOf(HostHome home) {
    String sessions = "\0" + home.sessionDir("x").getParent() + "/";
    return ProcessHandle.allProcesses()
        .map(ProcessHandle::pid)
        .filter(
            pid -> {
              try {
                String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
                return cmdline.contains("\0keeper\0") && cmdline.contains(sessions);
              } catch (IOException e) {
                return false; // gone meanwhile
              }
            })
        .toList();
  }
}
