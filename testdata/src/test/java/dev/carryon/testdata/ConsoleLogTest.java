package dev.carryon.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.testdata.ConsoleLog.BootMarker;
import dev.carryon.testdata.ConsoleLog.Tick;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleLogTest {

  private static final Duration SHORT = Duration.ofMillis(300);

  @TempDir Path dir;

  private Path console() {
    return dir.resolve("console.log");
  }

  private void append(String text) throws IOException {
    Files.writeString(console(), text, StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  @Test
  void parsesMarkerAndTicksFromSerialLines() throws IOException {
    append("CARRYON-BOOT bootid=ab-12 boot=3\r\nTICK 1 bootid=ab-12\r\nTICK 2 bootid=ab-12\r\n");
    ConsoleLog log = new ConsoleLog(console());

    assertEquals(Optional.of(new BootMarker("ab-12", 3)), log.bootMarker());
    assertEquals(Optional.of(new Tick(2, "ab-12")), log.lastTick());
    assertEquals("TICK 1 bootid=ab-12", log.waitFor(ConsoleLog.TICK, SHORT));
  }

  @Test
  void seesLinesAppendedLaterAndIgnoresAnUnfinishedLine() throws IOException {
    ConsoleLog log = new ConsoleLog(console());
    assertEquals(Optional.empty(), log.lastTick());

    append("TICK 7 bootid=x\r\nTICK 8 boot");
    assertEquals(Optional.of(new Tick(7, "x")), log.lastTick());
    append("id=x\r\n");
    assertEquals(Optional.of(new Tick(8, "x")), log.lastTick());
    assertEquals(List.of("TICK 7 bootid=x", "TICK 8 bootid=x"), log.lines());
  }

  @Test
  void findsAProtocolLineBehindKernelNoise() throws IOException {
    append("[    5.1] random: crng init doneTICK 4 bootid=y\r\n");
    assertEquals(Optional.of(new Tick(4, "y")), new ConsoleLog(console()).lastTick());
  }

  @Test
  void waitsForALineWrittenByAnotherThread() throws Exception {
    ConsoleLog log = new ConsoleLog(console());
    Thread writer = new Thread(() -> {
      try {
        Thread.sleep(200);
        append("TICK 1 bootid=z\r\nTICK 2 bootid=z\r\n");
      } catch (IOException | InterruptedException e) {
        throw new RuntimeException(e);
      }
    });
    writer.start();
    assertEquals("TICK 2 bootid=z", log.waitFor(Pattern.compile("TICK 2 "), Duration.ofSeconds(10)));
    writer.join();
  }

  @Test
  void timeoutQuotesTheLastTwentyLines() throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 1; i <= 25; i++) {
      text.append("TICK ").append(i).append(" bootid=q\r\n");
    }
    append(text + "half a line");
    ConsoleLog log = new ConsoleLog(console());

    AssertionError e = assertThrows(AssertionError.class,
        () -> log.waitFor(ConsoleLog.BOOT, SHORT));

    String msg = e.getMessage();
    assertTrue(msg.startsWith("the console did not show /" + ConsoleLog.BOOT + "/ within PT0.3S"),
        msg);
    assertTrue(msg.contains(console().toString()), msg);
    assertTrue(msg.contains("\n  TICK 6 bootid=q\n") && msg.contains("\n  TICK 25 bootid=q\n"),
        msg);
    assertTrue(!msg.contains("TICK 5 bootid=q"), msg);
    assertTrue(msg.endsWith("\n  half a line [no newline yet]"), msg);
  }

  @Test
  void timeoutSaysWhenTheFileNeverAppeared() {
    AssertionError e = assertThrows(AssertionError.class,
        () -> new ConsoleLog(console()).waitFor(ConsoleLog.TICK, SHORT));
    assertTrue(e.getMessage().endsWith("\n  (no such file)"), e.getMessage());
  }

  @Test
  void aGuestErrorFailsTheWaitAtOnce() throws IOException {
    append("CARRYON-ERROR no disk\r\nTICK 1 bootid=e\r\n");
    ConsoleLog log = new ConsoleLog(console());

    long start = System.nanoTime();
    AssertionError e = assertThrows(AssertionError.class,
        () -> log.waitFor(ConsoleLog.BOOT, Duration.ofSeconds(30)));

    assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 5);
    assertTrue(e.getMessage().startsWith("the guest reported an error"), e.getMessage());
    assertTrue(e.getMessage().contains("\n  CARRYON-ERROR no disk"), e.getMessage());
    // Waiting for the error itself is allowed.
    assertEquals("CARRYON-ERROR no disk", log.waitFor(Pattern.compile("no disk"), SHORT));
  }

  @Test
  void anExitedQemuFailsTheWaitAtOnce() throws Exception {
    Process exited = new ProcessBuilder("true").start();
    exited.waitFor();
    ConsoleLog log = new ConsoleLog(console(), exited);

    AssertionError e = assertThrows(AssertionError.class,
        () -> log.waitFor(ConsoleLog.BOOT, Duration.ofSeconds(30)));
    assertTrue(e.getMessage().startsWith("QEMU exited (code 0) before the console showed"),
        e.getMessage());
  }
}
