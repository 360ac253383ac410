package dev.carryon.carrier;

import static dev.carryon.testdata.FileTrees.copyTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.carryon.carrier.CommitCrashTest.Snapshot;
import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.server.ServedFolder;
import dev.carryon.carrier.server.ServerProcess;
import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The dropped-connection harness against carryon serve (200 cuts), and carryon serve killed at
 * its own writes.
 */
class HttpCutEndTest extends DroppedConnectionContract {
  @Override
  protected Served serveMany(Path carriers) throws IOException {
    ServedFolder served = ServedFolder.many(carriers);
    return new Served(served.uri(), served.token(), served);
  }

  @Override
  protected int cuts() {
    return 200;
  }

  /**
   * The server killed at its own writes (halted at write points a quarter, half and three
   * quarters into the end's, as a pulled plug would) and started again: the carrier is at the old
   * generation or the new one, and the rerun of the end through the new server commits the new
   * one, continuing what the dead server had forced.
   */
  @Test
  void aServerKilledAtItsWritesAndRestartedLeavesTheOldOrTheNewGeneration() throws Exception {
    Path template = template();
    Snapshot before = Snapshot.of(template);
    Path work = Files.createDirectories(dir.resolve("work"));
    byte[] state = new byte[STATE_BYTES];
    new Random(5).nextBytes(state);
    Path stateFile = Files.write(work.resolve("state.zst"), state);
    Path cow = Fixtures.localCow(Fixtures.open(template), 2, work, 3);
    String token = dev.carryon.carrier.protocol.Tokens.newToken();

    Path reference = copyTree(template, dir.resolve("reference"));
    Path count = dir.resolve("count");
    try (ServerProcess server =
        ServerProcess.start(
            reference, token, dir.resolve("reference.log"),
            Map.of("CARRYON_CUT_ROOT", reference.toString(), "CARRYON_CUT_COUNT_FILE", count.toString()))) {
      endDirect(server.uri(), token, cow, stateFile);
    }
    long points = Long.parseLong(Files.readString(count).trim());
    Snapshot after = Snapshot.of(reference);
    for (long k : new long[] {points / 4, points / 2, 3 * points / 4}) {
      String at = "after the server was killed at its write point " + k + " of " + points;
      Path carrier = copyTree(template, dir.resolve("killed-" + k));
      try (ServerProcess server =
          ServerProcess.start(
              carrier, token, dir.resolve("killed-" + k + ".log"),
              Map.of("CARRYON_CUT_ROOT", carrier.toString(), "CARRYON_CUT_AT", Long.toString(k)))) {
        assertThrows(IOException.class, () -> endDirect(server.uri(), token, cow, stateFile), at);
        assertEquals(WritePoints.CUT_EXIT_CODE, server.waitFor(60), at);
      }
      Snapshot now = Snapshot.of(carrier);
      (now.current() == before.current() ? before : after).assertSameContent(now, at);
      try (ServerProcess again =
          ServerProcess.start(carrier, token, dir.resolve("again-" + k + ".log"), Map.of())) {
        if (now.current() == before.current()) {
          endDirect(again.uri(), token, cow, stateFile);
        } else {
          try (HttpStorage storage = HttpStorage.open(again.uri(), token);
              Carrier c = Carrier.openForWrite(storage, "next command")) {
            assertEquals(List.of(), c.verify().problems(), at);
          }
        }
      }
      after.assertSameAs(Snapshot.of(carrier), at + ", then the rerun");
    }
  }

  /**
   * The server killed at its own writes during a reset (a quarter, half and three quarters into
   * the reset's write points) and started again: the carrier's current generation holds the same
   * disk and state; the next command through the new server finishes a reset recorded as pending,
   * or the reset run again makes the new generation.
   */
  @Test
  void aServerKilledAtItsWritesDuringAResetLeavesTheOldOrTheNewGeneration() throws Exception {
    Path template = resetTemplate();
    Snapshot before = Snapshot.of(template);
    String token = dev.carryon.carrier.protocol.Tokens.newToken();
    Path reference = copyTree(template, dir.resolve("reset-reference"));
    Path count = dir.resolve("reset-count");
    try (ServerProcess server =
        ServerProcess.start(
            reference, token, dir.resolve("reset-reference.log"),
            Map.of("CARRYON_CUT_ROOT", reference.toString(), "CARRYON_CUT_COUNT_FILE", count.toString()))) {
      reset(server.uri(), token);
    }
    long points = Long.parseLong(Files.readString(count).trim());
    Snapshot after = Snapshot.of(reference);
    assertEquals(before.current() + 1, after.current());
    for (long k : new long[] {points / 4, points / 2, 3 * points / 4}) {
      String at = "after the server was killed at its write point " + k + " of " + points + " of a reset";
      Path carrier = copyTree(template, dir.resolve("reset-killed-" + k));
      try (ServerProcess server =
          ServerProcess.start(
              carrier, token, dir.resolve("reset-killed-" + k + ".log"),
              Map.of("CARRYON_CUT_ROOT", carrier.toString(), "CARRYON_CUT_AT", Long.toString(k)))) {
        assertThrows(IOException.class, () -> reset(server.uri(), token), at);
        assertEquals(WritePoints.CUT_EXIT_CODE, server.waitFor(60), at);
      }
      Snapshot now = Snapshot.of(carrier);
      assertSameCurrent(before, now, at);
      try (ServerProcess again =
          ServerProcess.start(carrier, token, dir.resolve("reset-again-" + k + ".log"), Map.of())) {
        try (HttpStorage storage = HttpStorage.open(again.uri(), token);
            Carrier c = Carrier.openForWrite(storage, "next command")) {
          assertEquals(List.of(), c.verify().problems(), at);
        }
        if (Snapshot.of(carrier).current() == before.current()) {
          reset(again.uri(), token);
        }
      }
      after.assertSameAs(Snapshot.of(carrier), at + ", then the next command");
    }
  }

  private static void reset(java.net.URI url, String token) throws IOException {
    try (HttpStorage storage = HttpStorage.open(url, token);
        Carrier c = Carrier.openForWrite(storage, "reset")) {
      c.reset();
    }
  }
}
