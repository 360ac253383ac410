package dev.carryon.sync.host;

import static dev.carryon.sync.host.SyncCrashTest.assertEachClusterOldOrNew;
import static dev.carryon.sync.host.SyncCrashTest.assertQemuCheck;
import static dev.carryon.sync.host.SyncCrashTest.top;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.protocol.JdkWireServer;
import dev.carryon.carrier.server.CuttingLink;
import dev.carryon.testdata.FileTrees;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sync --host-image} of a carrier behind HTTP, the connection dropped at points spread over
 * every byte the server sends back (the sync's reads of the carrier's chain, up to the answer to
 * the sync record's commit): the carrier verifies and holds its generation, the host image holds
 * each cluster old or new, and the next sync finishes the job.
 */
class HttpSyncCutTest {
  /** Cut points spread over the sync's reads (each cut costs two syncs of some seconds here). */
  private static final int CUTS = 5;

  @TempDir Path dir;

  @Test
  void everyDroppedConnectionOfASyncLeavesTheCarrierWholeAndTheNextSyncFinishes() throws Exception {
    Path template = SyncCrashTest.template(dir.resolve("t"));
    byte[] oldContent = Disks.read(template.resolve("host/host.qcow2"));
    byte[] newContent = Disks.read(top(template.resolve("carrier")));
    Path carriers = Files.createDirectories(dir.resolve("carriers"));
    try (JdkWireServer server = JdkWireServer.start(carriers, true);
        CuttingLink link = CuttingLink.to(server.uri())) {
      // Named as the cut runs are: a name of another length would change the bytes the answers hold.
      Path reference = copy(template, carriers, "cut-0");
      long total = syncThrough(link, server, "cut-0", reference, -1);
      assertTrue(total > 1 << 20, total + " bytes read by the sync");
      assertArrayEquals(newContent, Disks.read(reference.resolve("host.qcow2")));
      Map<String, Integer> recorded = new TreeMap<>();
      // Spread over the reads, and the last byte: the answer to the lock's release, after the record.
      for (int i = 1; i <= CUTS + 1; i++) {
        long cutAt = i <= CUTS ? i * total / (CUTS + 1) : total - 1;
        String at = "after a sync cut at byte " + cutAt + " of the " + total + " it reads";
        Path t = copy(template, carriers, "cut-" + i);
        Path carrier = carriers.resolve("cut-" + i);
        Path host = t.resolve("host.qcow2");
        syncThrough(link, server, "cut-" + i, t, cutAt);
        assertTrue(link.wasCut(), "the sync read fewer bytes than the measured run, no cut " + at);
        Carrier found = Disks.open(carrier);
        assertEquals(List.of(), found.verify().problems(), at);
        assertEquals(4, found.current().number(), at);
        boolean done = !found.manifest().syncs().isEmpty();
        recorded.merge(done ? "recorded" : "not recorded", 1, Integer::sum);
        assertQemuCheck(host, at);
        if (done) {
          assertArrayEquals(newContent, Disks.read(host), "recorded as synced " + at);
        } else {
          assertEachClusterOldOrNew(Disks.read(host), oldContent, newContent, at);
        }
        syncThrough(link, server, "cut-" + i, t, -1);
        assertArrayEquals(newContent, Disks.read(host), "after the next sync " + at);
        assertEquals(
            4,
            Disks.open(carrier).manifest().sync("h", host.toRealPath().toString()).orElseThrow().generation(),
            at);
        FileTrees.deleteTree(carrier);
        FileTrees.deleteTree(t);
      }
      System.err.println("HttpSyncCutTest: " + (CUTS + 1) + " cuts over " + total + " bytes: " + recorded);
      assertEquals(2, recorded.size(), "cuts before and after the sync's record: " + recorded);
    }
  }

  /**
   * Serves a copy of the template's carrier as {@code carriers/NAME}; returns a folder holding a
   * copy of the host image.
   */
  private Path copy(Path template, Path carriers, String name) throws IOException {
    FileTrees.copyTree(template.resolve("carrier"), carriers.resolve(name));
    Path t = Files.createDirectories(dir.resolve("hosts").resolve(name));
    Files.copy(template.resolve("host/host.qcow2"), t.resolve("host.qcow2"));
    return t;
  }

  /**
   * Syncs {@code t/host.qcow2} from the served carrier {@code name} through the link, the
   * connection dropped after the server sent {@code cutAt} bytes back (-1: never); a failure the
   * cut caused is swallowed. Returns the bytes the server sent.
   */
  private static long syncThrough(CuttingLink link, JdkWireServer server, String name, Path t, long cutAt)
      throws IOException {
    URI url = link.through(server.uri().resolve(name + "/"));
    try (HttpStorage storage = HttpStorage.open(url, server.token())) {
      long start = link.received();
      if (cutAt >= 0) {
        link.cutAfterReceived(cutAt);
      }
      try {
        HostSync.sync(storage, t.resolve("host.qcow2"), "h", -1);
      } catch (IOException e) {
        if (!link.wasCut()) {
          throw e;
        }
      } finally {
        link.disarm();
      }
      return link.received() - start;
    }
  }
}
