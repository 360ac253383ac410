package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A foreground {@code resume} that the user stops with Ctrl-C ends its session properly. */
class ForegroundResumeTest {
  @TempDir static Path root;

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  @Test
  void ctrlCEndsTheSession() throws Exception {
    TestHost a = host(root, "hostA");
    TestCarrier carrier = SessionKit.initCarrier(a, root.resolve("carrier"));
    Path out = root.resolve("resume.out");
    Path err = root.resolve("resume.err");
    Process resume =
        a.start(Map.of(), out, err, "resume", carrier.toString(), "--console", root.resolve("A.log").toString());
    try {
      ConsoleLog console = new ConsoleLog(root.resolve("A.log"));
      tickAbove(console, 1);
      assertTrue(resume.isAlive());
      assertEquals(
          0, new ProcessBuilder("kill", "-INT", Long.toString(resume.pid())).start().waitFor());
      assertTrue(resume.waitFor(2, TimeUnit.MINUTES), "resume did not end after SIGINT");
      String stdout = Files.readString(out);
      String stderr = Files.readString(err);
      assertEquals(ExitCodes.OK, resume.exitValue(), () -> stdout + stderr);
      assertTrue(stdout.contains("generation 2 committed"), stdout);
    } finally {
      resume.destroyForcibly();
    }
    assertEquals(List.of(), SessionKit.qemusUnder(root));
    JsonNode status = a.status(carrier);
    assertEquals(2, status.get("generation").asLong());
    assertTrue(status.get("session").isNull());
    assertFalse(status.get("checkpoints").get(1).get("state").isNull(), "no RAM state saved");
    a.run("verify", carrier.toString()).expect(0);
    assertTrue(
        a.run("end", carrier.toString()).expect(ExitCodes.OK).out().contains("already ended"));
  }
}
