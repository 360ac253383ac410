package dev.carryon.launcher.cli.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.cli.Main;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.TestGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole story with the real guest: two sessions end on a carrier, the first PC syncs its own
 * copy of the disk and resets the carrier, and the next resume continues the same session (same
 * boot id, the tick counter goes on).
 */
class SyncSessionTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @AfterEach
  void endAnySession() {
    carryon("end", "--discard", dir.resolve("carrier").toString());
  }

  @Test
  void afterSyncAndResetTheNextResumeContinuesTheSession() throws IOException {
    TestGuest guest = TestGuest.get();
    Path carrier = dir.resolve("carrier");
    Path host = Files.copy(guest.disk(), dir.resolve("host.qcow2"));
    ok(carryon("init", carrier.toString(), "--image", guest.disk().toString(), "--kernel",
        guest.kernel().toString(), "--initrd", guest.initrd().toString(), "--append",
        guest.append()));

    ConsoleLog a = resume(carrier, "a.log");
    String bootId = a.bootMarker().orElseThrow().bootId();
    a.waitFor(Pattern.compile("TICK 4 "), WAIT);
    ok(carryon("end", carrier.toString()));
    long lastA = a.lastTick().orElseThrow().n();

    ConsoleLog b = resume(carrier, "b.log");
    b.waitFor(Pattern.compile("TICK " + (lastA + 2) + " "), WAIT);
    ok(carryon("end", carrier.toString()));
    ConsoleLog.Tick lastB = b.lastTick().orElseThrow();
    assertEquals(bootId, lastB.bootId());
    assertEquals(3, SessionKit.open(carrier).current().number());

    Run s = ok(carryon("sync", carrier.toString(), "--host-image", host.toString(),
        "--reset-above", "0"));
    assertTrue(s.out.contains("synced generation 3 of "), s.out);
    assertTrue(s.out.contains("reset: COW was "), s.out);
    Carrier c = SessionKit.open(carrier);
    assertEquals(List.of("base.qcow2", "cow.qcow2"), c.current().chain());
    // The reset commits generation 4, parent 3, with the same RAM state.
    assertEquals(4, c.current().number());
    assertEquals(3L, c.current().parent());
    assertTrue(s.out.contains("generation 4 continues; dropped checkpoints: [1, 2, 3]"), s.out);
    assertEquals(0, exec("qemu-img", "compare", host.toString(), SessionKit.file(c, "cow.qcow2").toString()));
    ok(carryon("verify", carrier.toString()));

    ConsoleLog after = resume(carrier, "c.log");
    String first = after.waitFor(ConsoleLog.TICK, WAIT);
    ConsoleLog.Tick tick = after.lastTick().orElseThrow();
    assertFalse(after.bootMarker().isPresent(), "the guest rebooted: " + after.lines());
    assertEquals(bootId, tick.bootId(), first);
    assertTrue(tick.n() > lastB.n(), "tick " + tick.n() + " after " + lastB.n());
    ok(carryon("end", carrier.toString()));
    ok(carryon("verify", carrier.toString()));
    for (String name : SessionKit.open(carrier).manifest().files().keySet()) {
      if (name.endsWith(".qcow2")) {
        assertEquals(0, exec("qemu-img", "check", carrier.resolve(name).toString()), name);
      }
    }
  }

  private ConsoleLog resume(Path carrier, String log) {
    Path console = dir.resolve(log);
    ok(carryon("resume", carrier.toString(), "--detach", "--console", console.toString()));
    ConsoleLog l = new ConsoleLog(console);
    l.waitFor(ConsoleLog.TICK, WAIT);
    return l;
  }

  /** Exit code and what the command printed. */
  record Run(int exit, String out, String err) {}

  private static Run ok(Run r) {
    assertEquals(ExitCodes.OK, r.exit, r.out + r.err);
    return r;
  }

  /**
   * Runs carryon in a child JVM, as a user does: a detached session's QEMU must outlive the
   * command that started it (and its QMP socket takes one client at a time).
   */
  private Run carryon(String... args) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                java.toString(),
                "-XX:+UseSerialGC",
                "-Dcarryon.home=" + dir.resolve("home"),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    command.addAll(List.of(args));
    try {
      Path out = dir.resolve("out.txt");
      Path err = dir.resolve("err.txt");
      Process p =
          new ProcessBuilder(command)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      int exit = p.waitFor();
      return new Run(exit, Files.readString(out), Files.readString(err));
    } catch (IOException | InterruptedException e) {
      throw new AssertionError("cannot run carryon " + String.join(" ", args), e);
    }
  }

  private static int exec(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
    try {
      return p.waitFor();
    } catch (InterruptedException e) {
      throw new IOException(e);
    }
  }
}
