package dev.carryon.launcher.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.server.ServedFolder;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.storage.Hex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host cache: fetched over the wire and checked, stored once by content, a cut fetch
 * continued, least recently used files evicted but never one a running session pinned.
 */
class HostCacheTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void aSecondUseFetchesNothingAndTheSameContentIsStoredOnce() throws IOException {
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    byte[] base = bytes(3 * MIB, 1);
    Files.write(carrier.resolve("base.qcow2"), base);
    Files.write(carrier.resolve("vmlinuz"), bytes(MIB / 2, 2));
    HostCache cache = HostCache.open(dir.resolve("cache"), 64L * MIB);
    Path first;
    try (Pins.Pin s1 = cache.pin("s1");
        ServedFolder served = ServedFolder.single(carrier);
        HttpStorage remote = HttpStorage.open(served.uri(), served.token())) {
      long[] seen = new long[1];
      first = cache.copyOf(remote, "base.qcow2", record(base), (done, total) -> seen[0] = done, s1);
      assertEquals(base.length, seen[0]);
      cache.copyOf(remote, "vmlinuz", record(bytes(MIB / 2, 2)), Progress.NONE, s1);
    }
    assertArrayEquals(base, Files.readAllBytes(first));
    assertEquals(
        "r--------",
        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(first)));
    // The server is gone: a second resume of the same content needs nothing from it, whichever
    // carrier names it.
    CarrierStorage gone = FolderStorage.of(dir.resolve("nowhere"));
    assertEquals(first, cache.copyOf(gone, "base.qcow2", record(base), Progress.NONE, null));
    assertEquals(first, cache.copyOf(gone, "layers/L7.qcow2", record(base), Progress.NONE, null));
    assertEquals(base.length + MIB / 2, cache.size());
  }

  @Test
  void bytesThatAreNotWhatTheManifestRecordsAreNotKept() throws IOException {
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    byte[] base = bytes(MIB, 3);
    Files.write(carrier.resolve("base.qcow2"), base);
    HostCache cache = HostCache.open(dir.resolve("cache"), 64L * MIB);
    FileRecord lie = new FileRecord(base.length, Hex.sha256(bytes(MIB, 4)));
    CarrierException e =
        assertThrows(
            CarrierException.class,
            () -> cache.copyOf(FolderStorage.of(carrier), "base.qcow2", lie, Progress.NONE, null));
    assertTrue(e.getMessage().contains("base.qcow2") && e.getMessage().contains("nothing of it is kept"), e.getMessage());
    assertEquals(0, cache.size());
    FileRecord shorter = new FileRecord(base.length + 1, Hex.sha256(base));
    assertThrows(
        CarrierException.class,
        () -> cache.copyOf(FolderStorage.of(carrier), "base.qcow2", shorter, Progress.NONE, null));
    assertEquals(0, cache.size());
  }

  @Test
  void aCutFetchContinuesWhereItStopped() throws IOException {
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    byte[] base = bytes(2 * MIB, 5);
    FileRecord record = record(base);
    HostCache cache = HostCache.open(dir.resolve("cache"), 64L * MIB);
    // A fetch was cut after the first MiB; since then the carrier's first MiB reads differently
    // (it cannot on a real carrier: this tells a fetch that starts over from one that goes on).
    Files.write(dir.resolve("cache/part/" + record.sha256()), java.util.Arrays.copyOf(base, MIB));
    byte[] changedStart = base.clone();
    java.util.Arrays.fill(changedStart, 0, MIB, (byte) 0);
    Files.write(carrier.resolve("base.qcow2"), changedStart);
    Path stored = cache.copyOf(FolderStorage.of(carrier), "base.qcow2", record, Progress.NONE, null);
    assertArrayEquals(base, Files.readAllBytes(stored));
    assertFalse(Files.exists(dir.resolve("cache/part/" + record.sha256())));
  }

  @Test
  void leastRecentlyUsedFilesGoButNeverOnesARunningSessionReads() throws IOException {
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    FolderStorage storage = FolderStorage.of(carrier);
    byte[][] files = new byte[4][];
    for (int i = 0; i < 4; i++) {
      files[i] = bytes(MIB, 10 + i);
      Files.write(carrier.resolve("f" + i), files[i]);
    }
    HostCache cache = HostCache.open(dir.resolve("cache"), 2L * MIB + MIB / 2);
    Pins.Pin s1 = cache.pin("s1");
    Pins.Pin s2 = cache.pin("s2");
    Path a = cache.copyOf(storage, "f0", record(files[0]), Progress.NONE, s1);
    Path b = cache.copyOf(storage, "f1", record(files[1]), Progress.NONE, null);
    Path c = cache.copyOf(storage, "f2", record(files[2]), Progress.NONE, s2);
    // f0 was used first but s1 runs: f1 went.
    assertTrue(Files.exists(a));
    assertFalse(Files.exists(b));
    assertTrue(Files.exists(c));
    // s1 ended: its pin goes, and f0, the least recently used, makes room for f3.
    s1.close();
    Path d = cache.copyOf(storage, "f3", record(files[3]), Progress.NONE, s2);
    assertFalse(Files.exists(a));
    assertTrue(Files.exists(c) && Files.exists(d));
    // Only pinned files are left and another is needed: the cache grows rather than refusing it.
    cache.copyOf(storage, "f1", record(files[1]), Progress.NONE, s2);
    assertEquals(3L * MIB, cache.size());
    // s2's process died without closing its pin: its file stays, locked by nobody, and no longer
    // holds (this JVM lets go of its lock by closing the pin; the file is put back as it was).
    Path pinFile = dir.resolve("cache").resolve(HostCache.PINS).resolve("s2");
    byte[] left = Files.readAllBytes(pinFile);
    s2.close();
    Files.write(pinFile, left);
    cache.copyOf(storage, "f0", record(files[0]), Progress.NONE, null);
    assertTrue(cache.size() <= 2L * MIB + MIB / 2, "size " + cache.size());
    assertFalse(Files.exists(pinFile), "the dead session's pin was dropped");
  }

  private static FileRecord record(byte[] content) {
    return new FileRecord(content.length, Hex.sha256(content));
  }

  private static byte[] bytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }
}
