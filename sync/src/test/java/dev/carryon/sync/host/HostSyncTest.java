package dev.carryon.sync.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.LeaseException;
import dev.carryon.testdata.TestGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Syncs of a carrier made over a copy of the test guest's disk into a host copy of that disk made
 * before, with qemu-img as the oracle.
 */
class HostSyncTest {
  @TempDir Path dir;

  /** The host image: the first PC's own copy of the guest disk, taken before the carrier. */
  private Path host;

  /** A carrier keeping 2 generations over the guest disk, with three sessions ended. */
  private Path carrierWithSessions() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src"));
    Path disk = TestGuest.get().copyDiskTo(src);
    host = Files.copy(disk, dir.resolve("host.qcow2"));
    Path carrier = Disks.carrier(dir.resolve("carrier"), disk, 2);
    Disks.session(carrier, dir.resolve("work"), "write -P 1 1M 192k", "write -P 2 40M 4k");
    Disks.session(carrier, dir.resolve("work"), "write -P 3 1088k 64k", "write -z 60M 64k");
    Disks.session(carrier, dir.resolve("work"), "write -P 4 8M 1k", "write -P 5 63M 128k");
    return carrier;
  }

  private static Path top(Path carrier) throws IOException {
    Carrier c = Disks.open(carrier);
    return Disks.file(c, c.current().top());
  }

  @Test
  void syncMakesTheHostImageIdenticalAndASecondSyncWritesNothing() throws IOException {
    Path carrier = carrierWithSessions();
    assertEquals(1, Disks.compare(host, top(carrier)));
    long differing = differingClusters(host, top(carrier));

    SyncResult first = HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1);
    assertEquals(SyncMode.FIRST, first.mode());
    assertEquals(4, first.generation());
    assertTrue(differing >= 6, differing + " clusters differ");
    assertEquals(differing, first.clustersWritten());
    assertEquals(differing * HostSync.CLUSTER, first.bytesWritten());
    assertTrue(first.clustersCompared() >= 8, first.toString());
    assertNull(first.reset());
    assertEquals(0, Disks.compare(host, top(carrier)));
    Disks.run(0, "qemu-img", "check", host.toString());

    SyncResult second = HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1);
    assertEquals(SyncMode.UP_TO_DATE, second.mode());
    assertEquals(0, second.bytesWritten());
    assertEquals(0, second.fileBytesWritten());

    Disks.session(carrier, dir.resolve("work"), "write -P 9 2M 4k");
    SyncResult third = HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1);
    assertEquals(SyncMode.INCREMENTAL, third.mode());
    assertEquals(5, third.generation());
    assertEquals(1, third.clustersWritten(), "only the new session's cluster differs");
    assertEquals(0, Disks.compare(host, top(carrier)));
    assertEquals(
        5,
        Disks.open(carrier)
            .manifest()
            .sync(Disks.HOME.hostId(), host.toRealPath().toString())
            .orElseThrow()
            .generation());
    assertEquals(List.of(), Disks.open(carrier).verify().problems());
  }

  @Test
  void aRunOfDataAndZeroClustersIsWrittenInPlaceWithTheZerosAsZeros() throws IOException {
    Path carrier = carrierWithSessions();
    Disks.session(carrier, dir.resolve("work"), "write -P 6 20M 320k");
    HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1);
    // Clusters 320-324 change again, read as one piece: data, data, zeros, data; 325 and 327
    // (past a cluster that stays) join them in the same read.
    Disks.session(
        carrier,
        dir.resolve("work"),
        "write -P 7 20M 128k",
        "write -z 20608k 64k",
        "write -P 8 20672k 128k",
        "write -P 9 20800k 4k",
        "write -P 10 20928k 64k");
    SyncResult r = HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1);
    assertEquals(SyncMode.INCREMENTAL, r.mode());
    assertEquals(7, r.clustersWritten());
    assertEquals(0, Disks.compare(host, top(carrier)));
    Disks.run(0, "qemu-img", "check", host.toString());
    String map = Disks.run(0, "qemu-img", "map", "--output=json", host.toString());
    assertTrue(
        map.contains("\"start\": " + (20608L << 10) + ", \"length\": 65536, \"depth\": 0, \"present\": true, \"zero\": true"),
        "the zero cluster is a zero cluster of the host image:\n" + map);
  }

  /** The 64 KiB clusters where the two images read differently. */
  private static long differingClusters(Path a, Path b) throws IOException {
    byte[] x = Disks.read(a);
    byte[] y = Disks.read(b);
    long n = 0;
    for (int at = 0; at < x.length; at += HostSync.CLUSTER) {
      int end = at + HostSync.CLUSTER;
      if (!java.util.Arrays.equals(x, at, end, y, at, end)) {
        n++;
      }
    }
    return n;
  }

  @Test
  void anotherDiskIsRefusedAndLeftAlone() throws IOException {
    Path carrier = carrierWithSessions();
    Path other = Disks.qcow2(dir.resolve("other.qcow2"), 64 << 20, 77, 1);
    byte[] before = Files.readAllBytes(other);
    SyncRefusedException e =
        assertThrows(
            SyncRefusedException.class,
            () -> HostSync.sync(Disks.storage(carrier), other, Disks.HOME.hostId(), -1));
    assertEquals(SyncRefusedException.Kind.WRONG_DISK, e.kind());
    assertTrue(e.getMessage().startsWith(other.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not a copy of the carrier's disk"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(other));
    assertTrue(Disks.open(carrier).manifest().syncs().isEmpty());
  }

  @Test
  void aHostImageChangedSinceItsSyncIsRefused() throws IOException {
    Path carrier = carrierWithSessions();
    HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1);
    Path copy = Files.copy(host, dir.resolve("copy.qcow2"));
    // Changed where the carrier has no changes: the sample sees it.
    Disks.run(0, "qemu-io", "-f", "qcow2", "-c", "write -P 85 0 4k", host.toString());
    Disks.session(carrier, dir.resolve("work"), "write -P 9 2M 4k");
    SyncRefusedException e =
        assertThrows(
            SyncRefusedException.class,
            () -> HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1));
    assertTrue(e.getMessage().contains("at byte 0 "), e.getMessage());
    // Changed where the carrier changed too: it holds neither the old nor the new content.
    Disks.run(0, "qemu-io", "-f", "qcow2", "-c", "write -P 86 2M 512", copy.toString());
    e =
        assertThrows(
            SyncRefusedException.class,
            () -> HostSync.sync(Disks.storage(carrier), copy, Disks.HOME.hostId(), -1));
    assertTrue(e.getMessage().contains("at byte " + (2 << 20) + " "), e.getMessage());
    assertTrue(e.getMessage().contains("matches neither generation 5"), e.getMessage());
  }

  @Test
  void aHostImageOfAnotherSizeIsRefused() throws IOException {
    Path carrier = carrierWithSessions();
    Path small = Disks.qcow2(dir.resolve("small.qcow2"), 32 << 20, 0, 1000);
    SyncRefusedException e =
        assertThrows(
            SyncRefusedException.class,
            () -> HostSync.sync(Disks.storage(carrier), small, Disks.HOME.hostId(), -1));
    assertEquals(SyncRefusedException.Kind.SIZE_MISMATCH, e.kind());
    assertTrue(e.getMessage().contains("virtual size 33554432"), e.getMessage());
  }

  @Test
  void aLeasedCarrierIsRefusedNamingTheHolder() throws IOException {
    Path carrier = carrierWithSessions();
    try (Carrier c = Disks.openForWrite(carrier)) {
      c.takeLease(Disks.HOME, "busy-session");
    }
    byte[] before = Files.readAllBytes(host);
    LeaseException e =
        assertThrows(
            LeaseException.class, () -> HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1));
    assertTrue(e.getMessage().contains("home-pc"), e.getMessage());
    assertTrue(e.getMessage().contains("busy-session"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(host));
  }

  @Test
  void resetFoldsTheCowIntoTheBaseAndKeepsTheContent() throws IOException {
    Path carrier = carrierWithSessions();
    byte[] content = Disks.read(top(carrier));
    long cowBefore = HostSync.cowBytes(Disks.open(carrier));

    SyncResult r = HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), 0);
    assertEquals(List.of(3L, 4L), r.reset().dropped());
    assertEquals(List.of("cow.qcow2", "layers/L4.qcow2"), r.reset().merged());
    assertEquals(4, r.generation());
    assertEquals(5, r.reset().generation().number());
    Carrier c = Disks.open(carrier);
    assertEquals(5, c.current().number());
    assertEquals(4L, c.current().parent());
    assertEquals(List.of("base.qcow2", "cow.qcow2"), c.current().chain());
    // The image synced to 4 holds the content of 5.
    assertEquals(5, c.manifest().sync(Disks.HOME.hostId(), host.toRealPath().toString()).orElseThrow().generation());
    long cowAfter = HostSync.cowBytes(c);
    assertTrue(cowAfter < cowBefore && cowAfter < (1 << 20), cowBefore + " -> " + cowAfter);
    assertArrayEquals(content, Disks.read(top(carrier)));
    assertEquals(0, Disks.compare(host, top(carrier)));
    for (String name : List.of("base.qcow2", "cow.qcow2")) {
      Disks.run(0, "qemu-img", "check", Disks.file(c, name).toString());
    }
    assertEquals(List.of(), c.verify().problems());
    assertEquals(List.of(), c.verify().warnings());

    // The reset changed no content: the host image is still up to date, and syncs go on.
    assertEquals(SyncMode.UP_TO_DATE, HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1).mode());
    Disks.session(carrier, dir.resolve("work"), "write -P 11 3M 64k");
    SyncResult after = HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1);
    assertEquals(SyncMode.INCREMENTAL, after.mode());
    assertEquals(1, after.clustersWritten());
    assertEquals(0, Disks.compare(host, top(carrier)));
  }

  @Test
  void aRecordOlderThanTheKeptGenerationsComparesTheWholeDisk() throws IOException {
    Path carrier = carrierWithSessions();
    HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1);
    Disks.session(carrier, dir.resolve("work"), "write -P 12 5M 4k");
    Disks.session(carrier, dir.resolve("work"), "write -P 13 6M 4k");
    SyncResult r = HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), -1);
    assertEquals(SyncMode.FULL, r.mode());
    assertEquals(1024, r.clustersCompared());
    assertEquals(2, r.clustersWritten());
    assertEquals(0, Disks.compare(host, top(carrier)));
  }

  @Test
  void belowTheThresholdNoResetRuns() throws IOException {
    Path carrier = carrierWithSessions();
    SyncResult r = HostSync.sync(Disks.storage(carrier), host, Disks.HOME.hostId(), 1L << 40);
    assertNull(r.reset());
    assertEquals(3, Disks.open(carrier).current().chain().size());
  }
}
