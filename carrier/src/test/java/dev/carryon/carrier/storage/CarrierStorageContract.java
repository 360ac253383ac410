package dev.carryon.carrier.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link CarrierStorage} must do, whatever it stores in: each implementation's test
 * extends this and says how to make a fresh, empty carrier storage (and a second client of the same
 * carrier, for the lock and the manifest race).
 */
public abstract class CarrierStorageContract {
  /** The storage under test, fresh for each test. */
  protected CarrierStorage storage;

  /** A fresh storage of a new, empty carrier. */
  protected abstract CarrierStorage newStorage() throws IOException;

  /** A second, independent client of the same carrier as {@link #storage}. */
  protected abstract CarrierStorage secondClient() throws IOException;

  @BeforeEach
  void open() throws IOException {
    storage = newStorage();
  }

  @AfterEach
  void closeStorage() throws IOException {
    storage.close();
  }

  @Test
  void severalFoldersAreListedAsEachIsAlone() throws IOException {
    try (StorageLock lock = storage.lock("contract test")) {
      storage.makeFolder("layers");
      storage.makeFolder("states");
      storage.write("base.raw", 0, bytes("base"));
      storage.write("layers/L2.qcow2", 0, bytes("two"));
      storage.write("layers/L3.qcow2", 0, bytes("three"));
      storage.write("states/S3.zst", 0, bytes("state"));
    }
    List<String> folders = List.of("states", "", "layers", "chunks");
    Map<String, List<StoredFile>> each = new TreeMap<>();
    for (String folder : folders) {
      each.put(folder, storage.list(folder));
    }
    assertEquals(
        List.of(new StoredFile("layers/L2.qcow2", 3), new StoredFile("layers/L3.qcow2", 5)),
        each.get("layers"));
    assertEquals(List.of(), each.get("chunks"));
    try (CarrierStorage other = secondClient()) {
      assertEquals(each, other.lists(folders));
      assertEquals(Map.of("layers", each.get("layers")), other.lists(List.of("layers")));
      // More folders than a server lists at once: listed all the same.
      List<String> many = new ArrayList<>(List.of("layers"));
      for (int i = 0; i < 20; i++) {
        many.add("f" + i);
      }
      Map<String, List<StoredFile>> manyListed = other.lists(many);
      assertEquals(21, manyListed.size());
      assertEquals(each.get("layers"), manyListed.get("layers"));
      assertEquals(List.of(), manyListed.get("f19"));
    }
  }

  @Test
  void writesReadsAndListsFiles() throws IOException {
    try (StorageLock lock = storage.lock("contract test")) {
      storage.makeFolder("layers");
      storage.write("layers/L2.qcow2", 0, bytes("hello "));
      storage.write("layers/L2.qcow2", 6, bytes("world"));
      storage.force("layers/L2.qcow2");
      storage.forceFolder("layers");
    }
    assertEquals(OptionalLong.of(11), storage.size("layers/L2.qcow2"));
    assertEquals(OptionalLong.empty(), storage.size("layers/L9.qcow2"));
    assertEquals(List.of(new StoredFile("layers/L2.qcow2", 11)), storage.list("layers"));
    assertEquals(List.of(), storage.list("states"));
    ByteBuffer dst = ByteBuffer.allocate(5);
    assertEquals(5, storage.read("layers/L2.qcow2", 6, dst));
    assertEquals("world", new String(dst.array(), StandardCharsets.US_ASCII));
    assertEquals(-1, storage.read("layers/L2.qcow2", 11, ByteBuffer.allocate(4)));
    try (InputStream in = storage.openRead("layers/L2.qcow2", 6)) {
      assertEquals("world", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
    }
  }

  @Test
  void streamsWritesAndTruncates() throws IOException {
    byte[] big = new byte[3 << 20];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31 + (i >> 12));
    }
    try (StorageLock lock = storage.lock("contract test")) {
      storage.makeFolder("tmp");
      try (OutputStream out = storage.openWrite("tmp/S2.zst", 0)) {
        out.write(big, 0, 1000);
        out.write(big, 1000, big.length - 1000);
      }
      storage.truncate("tmp/S2.zst", 10);
      storage.truncate("tmp/S2.zst", 20);
    }
    byte[] expected = new byte[20];
    System.arraycopy(big, 0, expected, 0, 10);
    try (InputStream in = storage.openRead("tmp/S2.zst", 0)) {
      assertArrayEquals(expected, in.readAllBytes());
    }
  }

  @Test
  void hashesWholeFilesAndPrefixes() throws IOException {
    try (StorageLock lock = storage.lock("contract test")) {
      storage.write("cow.qcow2", 0, bytes("abc"));
    }
    assertEquals(
        new Digest(3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        storage.hash("cow.qcow2", -1));
    assertEquals(
        new Digest(0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        storage.hash("cow.qcow2", 0));
    assertThrows(IOException.class, () -> storage.hash("cow.qcow2", 4));
  }

  @Test
  void renamesReplaceAndDeletesAreQuietWhenAbsent() throws IOException {
    try (StorageLock lock = storage.lock("contract test")) {
      storage.makeFolder("tmp");
      storage.makeFolder("states");
      storage.write("tmp/S3.zst", 0, bytes("new"));
      storage.write("states/S3.zst", 0, bytes("old state"));
      storage.rename("tmp/S3.zst", "states/S3.zst");
      storage.delete("states/S9.zst");
      if (storage.link("states/S3.zst", "states/S4.zst")) {
        assertEquals(OptionalLong.of(3), storage.size("states/S4.zst"));
      }
    }
    assertEquals(OptionalLong.empty(), storage.size("tmp/S3.zst"));
    assertEquals(OptionalLong.of(3), storage.size("states/S3.zst"));
  }

  @Test
  void theManifestIsReplacedOnlyFromTheVersionRead() throws IOException {
    assertTrue(storage.readManifest().isEmpty());
    String v1;
    try (StorageLock lock = storage.lock("contract test")) {
      v1 = storage.replaceManifest(bytes("{\"n\":1}").array(), null);
      assertThrows(
          ManifestChangedException.class,
          () -> storage.replaceManifest(bytes("{\"n\":0}").array(), null));
      String v2 = storage.replaceManifest(bytes("{\"n\":2}").array(), v1);
      assertFalse(v1.equals(v2));
      // A writer that read version 1 lost the race: nothing it sends is committed.
      assertThrows(
          ManifestChangedException.class,
          () -> storage.replaceManifest(bytes("{\"n\":3}").array(), v1));
      assertEquals(v2, storage.readManifest().orElseThrow().version());
    }
    assertEquals(
        "{\"n\":2}",
        new String(storage.readManifest().orElseThrow().bytes(), StandardCharsets.UTF_8));
  }

  @Test
  void oneWriterAtATime() throws IOException {
    try (CarrierStorage other = secondClient()) {
      try (StorageLock lock = storage.lock("first writer")) {
        StorageLockedException e =
            assertThrows(StorageLockedException.class, () -> other.lock("second writer"));
        assertTrue(e.getMessage().contains("first writer"), e.getMessage());
      }
      try (StorageLock lock = other.lock("second writer")) {
        assertThrows(StorageLockedException.class, () -> storage.lock("first writer"));
      }
    }
  }

  @Test
  void namesOutsideTheCarrierAreRefused() {
    for (String bad :
        List.of("../etc/passwd", "/etc/passwd", "a/../../b", ".hidden", "a/b/c", "", "a//b",
            "layers/..", "x\\y")) {
      assertThrows(
          IllegalArgumentException.class, () -> storage.size(bad), "name '" + bad + "'");
    }
  }

  private static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }
}
