package dev.carryon.carrier;

import static dev.carryon.testdata.FileTrees.copyTree;
import static dev.carryon.testdata.FileTrees.deleteTree;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.CommitCrashTest.Snapshot;
import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.server.CuttingLink;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash harness of {@link CommitCrashTest} over HTTP, for any server of the carrier protocol
 * (carryon serve, the phone's companion): a session end sent through a link to the server is cut
 * by dropping the connection at points spread over every byte it sends. After each cut the
 * carrier is at the old generation or the new one, whole, and so it is after the next command's
 * recovery through the server; a rerun of the end (after every fourth cut, to keep the test lean)
 * commits the new one, continuing the copies where the server's copy stops instead of sending
 * them again.
 */
public abstract class DroppedConnectionContract {
  /** The session the cut end belongs to; it holds the lease in the template. */
  static final String SESSION = "cut-session";

  /** Of the cuts that leave the old generation, every this many is ended again. */
  private static final int RERUN_EVERY = 4;

  /** The state's size: a piece of a write and a part of a second. */
  static final int STATE_BYTES = 5 << 20;

  @TempDir protected Path dir;

  /** A server under test, serving a folder of carriers each at {@code uri()/NAME/}. */
  public record Served(URI uri, String token, Closeable server) implements Closeable {
    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** Starts the server under test over the folder {@code carriers}. */
  protected abstract Served serveMany(Path carriers) throws IOException;

  /** Cut points spread over the end's bytes. */
  protected abstract int cuts();

  @Test
  void everyDroppedConnectionLeavesTheOldOrTheNewGenerationAndTheRerunContinuesTheCopies()
      throws Exception {
    long resumed = 2;
    Path template = template();
    Snapshot before = Snapshot.of(template);
    byte[] state = new byte[STATE_BYTES];
    new Random(3).nextBytes(state);
    Path work = Files.createDirectories(dir.resolve("work"));
    Path stateFile = Files.write(work.resolve("state.zst"), state);
    Path cow = Fixtures.localCow(Fixtures.open(template), resumed, work, resumed + 1);

    // One server of many carriers, one for each cut, at /NAME/.
    Path carriers = Files.createDirectories(dir.resolve("carriers"));
    try (Served served = serveMany(carriers);
        CuttingLink link = CuttingLink.to(served.uri())) {
      cutEverywhere(template, before, carriers, served, link, cow, stateFile, cuts());
    }
  }

  private static void cutEverywhere(
      Path template,
      Snapshot before,
      Path carriers,
      Served served,
      CuttingLink link,
      Path cow,
      Path stateFile,
      int cuts)
      throws IOException {
    Path reference = copyTree(template, carriers.resolve("reference"));
    long total = endThrough(served.uri().resolve("reference/"), served.token(), link, -1, cow, stateFile);
    Snapshot after = Snapshot.of(reference);
    assertEquals(before.current() + 1, after.current());
    assertTrue(total > STATE_BYTES, total + " bytes sent by the end");

    long resumedBytes = 0;
    int resumedCopies = 0;
    for (int i = 1; i <= cuts; i++) {
      long cutAt = i * total / (cuts + 1);
      String at = "after a cut at byte " + cutAt + " of " + total;
      Path carrier = copyTree(template, carriers.resolve("cut-" + i));
      URI url = served.uri().resolve("cut-" + i + "/");
      endThrough(url, served.token(), link, cutAt, cow, stateFile);
      Carrier found = Fixtures.open(carrier);
      assertEquals(List.of(), found.verify().problems(), at);
      Snapshot now = Snapshot.of(found);
      (now.current() == before.current() ? before : after).assertSameContent(now, at);
      // Every fourth cut that left the old generation is ended again (the user's rerun); after
      // the others, the next command only recovers.
      if (now.current() == before.current() && i % RERUN_EVERY == 0) {
        assertEquals(SESSION, found.manifest().lease().sessionId(), at);
        long kept =
            prefixOf(carrier.resolve("tmp/L3.qcow2"), cow)
                + prefixOf(carrier.resolve("tmp/S3.zst"), stateFile);
        long rerun = endThrough(url, served.token(), link, -1, cow, stateFile);
        // The rerun sends what the server lacks, and a little more: requests and the checks.
        assertTrue(rerun <= total - kept + (256 << 10), at + ": the rerun sent " + rerun + " bytes, "
            + kept + " of " + total + " were there");
        if (kept > 0) {
          resumedCopies++;
          resumedBytes += kept;
        }
      }
      // The next writer finishes what a cut after the commit left (a pending merge).
      try (HttpStorage storage = HttpStorage.open(url, served.token());
          Carrier c = Carrier.openForWrite(storage, "next command")) {
        assertEquals(List.of(), c.verify().problems(), at);
      }
      Carrier ended = Fixtures.open(carrier);
      if (ended.current().number() == after.current()) {
        after.assertSameAs(Snapshot.of(ended), at + ", then the next command");
        assertNull(ended.manifest().lease(), at);
      } else {
        before.assertSameAs(Snapshot.of(ended), at + ", then the next command");
        assertEquals(SESSION, ended.manifest().lease().sessionId(), at);
        // Only what the session's rerun may continue is left in tmp/.
        Set<String> tmp = CarrierTest.filesIn(ended, "tmp");
        assertTrue(new TreeSet<>(SessionEnd.tmpNames(after.current())).containsAll(tmp), at + ": " + tmp);
      }
      deleteTree(carrier);
    }
    System.err.println(
        cuts + " cuts over " + total + " bytes: " + resumedCopies + " reruns continued copies,"
            + " not sending " + resumedBytes + " bytes again");
    assertTrue(resumedCopies >= cuts / RERUN_EVERY / 2, resumedCopies + " reruns continued a copy");
  }

  /** Cut points spread over a reset's bytes; override to change. */
  protected int resetCuts() {
    return 50;
  }

  /**
   * A reset (the carrier's chain folded into its base, the COW emptied, a new generation of the
   * same content: {@code sync --reset-above}) sent through the link and cut at points spread over
   * every byte it sends: the carrier is at the old generation or the new one, whole, before and
   * after the next command's recovery (which finishes a reset recorded as pending); a rerun of the
   * reset where the cut came before that record makes the new one.
   */
  @Test
  void everyDroppedConnectionOfAResetLeavesTheOldOrTheNewGeneration() throws Exception {
    Path template = resetTemplate();
    Snapshot before = Snapshot.of(template);
    Path carriers = Files.createDirectories(dir.resolve("reset-carriers"));
    try (Served served = serveMany(carriers);
        CuttingLink link = CuttingLink.to(served.uri())) {
      Path reference = copyTree(template, carriers.resolve("reference"));
      long total = resetThrough(served.uri().resolve("reference/"), served.token(), link, -1);
      Snapshot after = Snapshot.of(reference);
      assertEquals(before.current() + 1, after.current());
      assertEquals(List.of(after.current()), after.kept());
      int cuts = resetCuts();
      int reruns = 0;
      Set<Long> generations = new TreeSet<>();
      for (int i = 1; i <= cuts; i++) {
        // Spread over the bytes, the last cut at the last byte (the lock's release, after all).
        long cutAt = i < cuts ? i * total / cuts : total - 1;
        String at = "after a reset cut at byte " + cutAt + " of " + total;
        Path carrier = copyTree(template, carriers.resolve("reset-" + i));
        URI url = served.uri().resolve("reset-" + i + "/");
        resetThrough(url, served.token(), link, cutAt);
        Carrier found = Fixtures.open(carrier);
        assertEquals(List.of(), found.verify().problems(), at);
        Snapshot now = Snapshot.of(found);
        generations.add(now.current());
        // Old or new: generation 4 (the older ones retired once the reset is recorded as pending)
        // until the reset is done, then 5 alone; the disk and the state the same all along.
        assertTrue(now.current() == before.current() || now.current() == after.current(), at);
        assertSameCurrent(before, now, at);
        if (now.current() == after.current()) {
          after.assertSameAs(now, at);
        }
        // The next writer finishes a reset the cut left pending, or finds the old generation.
        try (HttpStorage storage = HttpStorage.open(url, served.token());
            Carrier c = Carrier.openForWrite(storage, "next command")) {
          assertEquals(List.of(), c.verify().problems(), at);
        }
        Snapshot next = Snapshot.of(carrier);
        (next.current() == before.current() ? before : after).assertSameAs(next, at + ", then the next command");
        if (next.current() == before.current()) {
          resetThrough(url, served.token(), link, -1);
          after.assertSameAs(Snapshot.of(carrier), at + ", then the reset again");
          reruns++;
        }
        assertEquals(Set.of(), CarrierTest.filesIn(Fixtures.open(carrier), "tmp"), at);
        deleteTree(carrier);
      }
      System.err.println(
          cuts + " reset cuts over " + total + " bytes: generations found " + generations + ", "
              + reruns + " resets run again");
      assertEquals(Set.of(before.current(), after.current()), generations, "cuts before and after the commit");
    }
  }

  /** Asserts the current generations of {@code want} and {@code got} hold the same disk and state. */
  static void assertSameCurrent(Snapshot want, Snapshot got, String at) {
    int w = want.kept().indexOf(want.current());
    int g = got.kept().indexOf(got.current());
    assertArrayEquals(want.disks().get(w), got.disks().get(g), "disk " + at);
    assertArrayEquals(want.states().get(w), got.states().get(g), "state " + at);
  }

  /**
   * Resets the carrier at {@code url} through {@code link}, the connection dropped after {@code
   * cutAt} bytes (-1: never); a failure the cut caused is swallowed. Returns the bytes sent.
   */
  private static long resetThrough(URI url, String token, CuttingLink link, long cutAt)
      throws IOException {
    try (HttpStorage storage = HttpStorage.open(link.through(url), token)) {
      long start = link.sent();
      if (cutAt >= 0) {
        link.cutAfter(cutAt);
      }
      try (Carrier c = Carrier.openForWrite(storage, "reset")) {
        c.reset();
      } catch (IOException e) {
        if (!link.wasCut()) {
          throw e;
        }
      } finally {
        link.disarm();
      }
      return link.sent() - start;
    }
  }

  /** A carrier keeping 3 generations at generation 4 (chain base, COW, L3, L4), lease free. */
  Path resetTemplate() throws IOException {
    try (Carrier c = Fixtures.create(dir.resolve("rt"), 3, new TestClock(Instant.now()))) {
      for (long g = 1; g <= 3; g++) {
        Fixtures.session(c, Fixtures.HOME, g, dir.resolve("rt-work"));
      }
      return Fixtures.folder(c);
    }
  }

  /** Ends the session on the server at {@code url}. */
  static void endDirect(URI url, String token, Path cow, Path state) throws IOException {
    try (HttpStorage storage = HttpStorage.open(url, token)) {
      endOn(storage, cow, state);
    }
  }

  /** The cut session's end (it resumed generation 2) on {@code storage}. */
  private static void endOn(HttpStorage storage, Path cow, Path state) throws IOException {
    try (Carrier c = Carrier.openForWrite(storage, "end")) {
      SessionEnd end = c.beginEnd(Fixtures.OFFICE, SESSION, 2);
      end.copyLayer(cow, Progress.NONE);
      end.copyState(state, Progress.NONE);
      c.commitGeneration(end, "end of " + SESSION);
    }
  }

  /**
   * Ends the session through {@code link}, the connection dropped after {@code cutAt} bytes (-1:
   * never); a failure that the cut caused is what the user would see and is swallowed. Returns the
   * bytes sent.
   */
  private static long endThrough(
      URI url, String token, CuttingLink link, long cutAt, Path cow, Path state) throws IOException {
    try (HttpStorage storage = HttpStorage.open(link.through(url), token)) {
      long start = link.sent();
      if (cutAt >= 0) {
        link.cutAfter(cutAt);
      }
      try {
        endOn(storage, cow, state);
      } catch (IOException e) {
        if (!link.wasCut()) {
          throw e;
        }
      } finally {
        link.disarm();
      }
      return link.sent() - start;
    }
  }

  /** The bytes at the start of {@code copy} that are those of {@code source} (0 when it differs). */
  private static long prefixOf(Path copy, Path source) throws IOException {
    if (!Files.exists(copy)) {
      return 0;
    }
    byte[] c = Files.readAllBytes(copy);
    byte[] s = Files.readAllBytes(source);
    return c.length <= s.length && Arrays.equals(c, Arrays.copyOf(s, c.length)) ? c.length : 0;
  }

  /** A carrier keeping 2 generations at generation 2, the lease held by the session to cut. */
  Path template() throws IOException {
    try (Carrier c = Fixtures.create(dir.resolve("t"), 2, new TestClock(Instant.now()))) {
      Fixtures.session(c, Fixtures.HOME, c.current().number(), dir.resolve("t-work"));
      c.takeLease(Fixtures.OFFICE, SESSION);
      return Fixtures.folder(c);
    }
  }
}
