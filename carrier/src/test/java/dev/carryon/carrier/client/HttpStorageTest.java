package dev.carryon.carrier.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.server.ServedFolder;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.CarrierStorageContract;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.carrier.storage.StoredFile;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract over HTTP: the client against the real server on loopback. One server of
 * several carriers for the class (Jersey takes most of a second to start); each test gets a new
 * carrier at {@code /NAME/}, which the server creates when the test first takes the lock.
 */
class HttpStorageTest extends CarrierStorageContract {
  @TempDir static Path root;

  /** The server of every test's carrier. */
  private static ServedFolder served;

  /** Numbers the tests' carriers. */
  private static final AtomicInteger next = new AtomicInteger();

  /** This test's carrier. */
  private URI carrier;

  @BeforeAll
  static void startServer() throws IOException {
    served = ServedFolder.many(root);
  }

  @AfterAll
  static void stopServer() throws IOException {
    served.close();
  }

  @Override
  protected CarrierStorage newStorage() throws IOException {
    carrier = served.uri().resolve("c" + next.incrementAndGet() + "/");
    return HttpStorage.open(carrier, served.token());
  }

  @Override
  protected CarrierStorage secondClient() throws IOException {
    return HttpStorage.open(carrier, served.token());
  }

  /**
   * Under the write lock a folder is listed once: a file put into the served folder behind the
   * lock's back (which no client may do) is not seen until this client changes that folder itself,
   * or lets the lock go.
   */
  @Test
  void aFolderIsListedOnceUnderTheLockAndAgainAfterItsOwnChange() throws IOException {
    try (CarrierStorage storage = newStorage()) {
      Path served = servedFolder();
      try (StorageLock lock = storage.lock("listing test")) {
        storage.makeFolder("layers");
        storage.write("layers/L2.qcow2", 0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertEquals(List.of(new StoredFile("layers/L2.qcow2", 3)), storage.list("layers"));
        Files.write(served.resolve("layers/behind.qcow2"), new byte[5]);
        assertEquals(List.of(new StoredFile("layers/L2.qcow2", 3)), storage.list("layers"));
        assertEquals(OptionalLong.empty(), storage.size("layers/behind.qcow2"));
        storage.write("layers/L2.qcow2", 3, ByteBuffer.wrap(new byte[] {4}));
        assertEquals(OptionalLong.of(4), storage.size("layers/L2.qcow2"));
        assertEquals(OptionalLong.of(5), storage.size("layers/behind.qcow2"));
        storage.rename("layers/behind.qcow2", "layers/L3.qcow2");
        assertEquals(
            List.of(new StoredFile("layers/L2.qcow2", 4), new StoredFile("layers/L3.qcow2", 5)),
            storage.list("layers"));
        Files.delete(served.resolve("layers/L3.qcow2"));
      }
      Files.write(served.resolve("layers/after.qcow2"), new byte[2]);
      assertEquals(
          List.of(new StoredFile("layers/L2.qcow2", 4), new StoredFile("layers/after.qcow2", 2)),
          storage.list("layers"));
    }
  }

  /** Folders listed together under the lock are held as those listed one by one are. */
  @Test
  void foldersListedTogetherUnderTheLockAreHeld() throws IOException {
    try (CarrierStorage storage = newStorage()) {
      Path served = servedFolder();
      try (StorageLock lock = storage.lock("listing test")) {
        storage.makeFolder("layers");
        storage.write("layers/L2.qcow2", 0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        storage.write("base.raw", 0, ByteBuffer.wrap(new byte[] {1}));
        Map<String, List<StoredFile>> listed = storage.lists(List.of("", "layers"));
        assertEquals(List.of(new StoredFile("layers/L2.qcow2", 3)), listed.get("layers"));
        assertTrue(listed.get("").contains(new StoredFile("base.raw", 1)), listed.toString());
        Files.write(served.resolve("layers/behind.qcow2"), new byte[5]);
        assertEquals(List.of(new StoredFile("layers/L2.qcow2", 3)), storage.list("layers"));
        Files.delete(served.resolve("layers/behind.qcow2"));
      }
    }
  }

  /**
   * Whether a carrier is there comes with the server's info, which every open asks for: no request
   * of its own. It is what the server said at the open.
   */
  @Test
  void anOpenKnowsFromTheServersInfoWhetherACarrierIsThere() throws IOException {
    try (HttpStorage empty = (HttpStorage) newStorage()) {
      assertFalse(empty.hadCarrierWhenOpened());
      try (StorageLock lock = empty.lock("first commit")) {
        empty.replaceManifest("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
      }
      assertFalse(empty.hadCarrierWhenOpened(), "as the server said when it was opened");
      try (HttpStorage again = (HttpStorage) secondClient()) {
        assertTrue(again.hadCarrierWhenOpened());
      }
    }
  }

  /**
   * A writer whose source is slower than the link (the RAM state as QEMU saves it) does not wait
   * for a full piece: what it wrote goes as soon as nothing else is on its way.
   */
  @Test
  void aWriterSendsItsFirstBytesBeforeAPieceIsFull() throws Exception {
    try (CarrierStorage storage = newStorage()) {
      Path served = servedFolder();
      try (StorageLock lock = storage.lock("eager test")) {
        storage.makeFolder("tmp");
        byte[] first = new byte[300 << 10];
        java.util.Arrays.fill(first, (byte) 7);
        try (java.io.OutputStream out = storage.openWrite("tmp/S2.zst", 0)) {
          out.write(first);
          long deadline = System.nanoTime() + 10_000_000_000L;
          while (sizeOf(served.resolve("tmp/S2.zst")) < first.length) {
            if (System.nanoTime() > deadline) {
              throw new AssertionError(
                  "the first " + first.length + " bytes were not sent while the writer was open");
            }
            Thread.sleep(10);
          }
          out.write(new byte[] {8});
        }
        assertEquals(OptionalLong.of(first.length + 1L), storage.size("tmp/S2.zst"));
      }
    }
  }

  private static long sizeOf(Path file) throws IOException {
    return Files.exists(file) ? Files.size(file) : -1;
  }

  /** This test's carrier folder, as the server holds it. */
  private Path servedFolder() {
    return root.resolve(Path.of(carrier.getPath()).getFileName().toString());
  }
}
