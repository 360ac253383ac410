package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.fingerprint;
import static dev.carryon.launcher.session.SessionKit.firstTick;
import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.SecondQemu;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosts with other QEMU versions (issue 17): host "old" runs this machine's QEMU 7.2 (Debian 12),
 * host "new" Debian 13's QEMU 10.0 through {@link SecondQemu}'s wrapper. A session carries both
 * ways under the portable machine type; a carrier made for 10.0's own machine type is refused
 * cleanly on 7.2 and boots there cold under 7.2's type on request.
 */
class QemuVersionsTest {
  @TempDir static Path root;
  private static TestHost old;
  private static TestHost newer;

  @BeforeAll
  static void hosts() {
    old = host(root, "old");
    newer =
        new TestHost(
            root.resolve("new"),
            "new",
            Map.of("CARRYON_QEMU", SecondQemu.get().wrapper().toString()));
  }

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  @Test
  void aSessionCarries72To100AndBackUnderThePortableMachineType() throws Exception {
    Path carrier = root.resolve("carried");
    Run init = SessionKit.init(newer, carrier);
    // init on 10.0 picks the type 7.2 has too, and says why.
    assertTrue(init.out().contains("machine type pc-q35-7.2: the newest type of Debian 12's QEMU 7.2"), init.out());

    Path logOld = root.resolve("old1.log");
    old.resume(carrier, logOld);
    ConsoleLog.Tick onOld = tickAbove(new ConsoleLog(logOld), 1);
    old.end(carrier);

    Path logNew = root.resolve("new.log");
    Run resumed = newer.resume(carrier, logNew);
    assertTrue(resumed.out().contains("resumed generation 2") && resumed.out().contains("QEMU 10.0."), resumed.out());
    ConsoleLog consoleNew = new ConsoleLog(logNew);
    ConsoleLog.Tick firstOnNew = firstTick(consoleNew);
    assertEquals(onOld.bootId(), firstOnNew.bootId(), "same boot on QEMU 10.0");
    assertTrue(firstOnNew.n() > onOld.n(), firstOnNew + " after " + onOld);
    ConsoleLog.Tick onNew = tickAbove(consoleNew, firstOnNew.n());
    newer.end(carrier);

    Path logBack = root.resolve("old2.log");
    old.resume(carrier, logBack);
    ConsoleLog.Tick back = firstTick(new ConsoleLog(logBack));
    assertEquals(onOld.bootId(), back.bootId(), "same boot back on QEMU 7.2");
    assertTrue(back.n() > onNew.n(), back + " after " + onNew);
    old.end(carrier);

    JsonNode checkpoints = old.status(carrier).get("checkpoints");
    assertEquals(List.of("7.2.", "10.0.", "7.2."), List.of(
        version(checkpoints, 2), version(checkpoints, 3), version(checkpoints, 4)));
    for (JsonNode c : checkpoints) {
      assertEquals("pc-q35-7.2", c.get("machine_type").asText(), c.toString());
    }
    String text = old.run("status", carrier.toString()).expect(0).out();
    assertTrue(text.contains("pc-q35-7.2, QEMU 10.0."), text);
  }

  @Test
  void aNewerMachineTypeIsRefusedOn72AndBootsThereColdUnder72sType() throws Exception {
    Path carrier = root.resolve("newtype");
    SessionKit.initCarrier(newer, carrier, "--machine", "pc-q35-10.0");
    Path before = root.resolve("newtype.log");

    // Generation 1 has no RAM state: the refusal says so and names the way out.
    Map<String, String> untouched = fingerprint(carrier);
    String cold = old.run("resume", carrier.toString(), "--detach").expect(ExitCodes.REFUSED).errorLine();
    assertTrue(cold.contains("QEMU 7.2.") && cold.contains("has no machine type pc-q35-10.0"), cold);
    assertTrue(cold.contains("generation 1 has no RAM state"), cold);
    assertTrue(cold.contains("--cold-boot --machine pc-q35-7.2"), cold);
    assertEquals(untouched, fingerprint(carrier));

    newer.resume(carrier, before);
    ConsoleLog.Tick onNew = tickAbove(new ConsoleLog(before), 1);
    newer.end(carrier);

    untouched = fingerprint(carrier);
    String warm = old.run("resume", carrier.toString(), "--detach").expect(ExitCodes.REFUSED).errorLine();
    assertTrue(warm.contains("its RAM state was saved under pc-q35-10.0"), warm);
    assertTrue(warm.contains("--cold-boot --machine pc-q35-7.2"), warm);
    String noColdBoot =
        old.run("resume", carrier.toString(), "--detach", "--machine", "pc-q35-7.2")
            .expect(ExitCodes.USAGE)
            .errorLine();
    assertTrue(noColdBoot.contains("--machine needs --cold-boot"), noColdBoot);
    assertEquals(untouched, fingerprint(carrier), "refusals change nothing");
    assertTrue(old.status(carrier).get("session").isNull());

    Path after = root.resolve("newtype-old.log");
    Run booted = old.resume(carrier, after, "--cold-boot", "--machine", "pc-q35-7.2");
    assertTrue(booted.err().contains("warning: cold boot of generation 2"), booted.err());
    assertTrue(booted.out().contains("cold-booted generation 2") && booted.out().contains("pc-q35-7.2)"), booted.out());
    ConsoleLog.Tick onOld = tickAbove(new ConsoleLog(after), 1);
    assertNotEquals(onNew.bootId(), onOld.bootId(), "a cold boot");
    old.end(carrier);
    JsonNode g3 = old.status(carrier).get("checkpoints").get(2);
    assertEquals(3, g3.get("generation").asLong());
    assertEquals("pc-q35-7.2", g3.get("machine_type").asText(), "the next resume restores under 7.2's type");

    Path again = root.resolve("newtype-again.log");
    assertTrue(old.resume(carrier, again).out().contains("resumed generation 3"));
    assertEquals(onOld.bootId(), firstTick(new ConsoleLog(again)).bootId());
    old.end(carrier);
  }

  private static String version(JsonNode checkpoints, long generation) {
    for (JsonNode c : checkpoints) {
      if (c.get("generation").asLong() == generation) {
        String v = c.get("qemu").get("version").asText();
        return v.substring(0, v.indexOf('.', v.indexOf('.') + 1) + 1);
      }
    }
    throw new AssertionError("no generation " + generation + " in " + checkpoints);
  }
}
