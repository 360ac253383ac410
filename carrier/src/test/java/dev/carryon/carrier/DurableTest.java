package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.server.ServedFolder;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.carrier.storage.StorageLock;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole files brought onto a carrier, in a folder and behind a server: a target that is not there
 * is made by the first write (no cut first), one that is there is cut first, and an empty source
 * still makes an empty file (over HTTP no piece is sent for it).
 */
class DurableTest {
  @TempDir Path dir;

  private ServedFolder served;
  private HttpStorage http;
  private StorageLock lock;

  @AfterEach
  void close() throws IOException {
    if (served != null) {
      lock.close();
      http.close();
      served.close();
    }
  }

  /** The carrier folder's storage, or the same folder served over loopback with its lock held. */
  private CarrierStorage storage(boolean overHttp) throws IOException {
    Path folder = Files.createDirectories(dir.resolve("carrier/tmp")).getParent();
    if (!overHttp) {
      return FolderStorage.of(folder);
    }
    served = ServedFolder.single(folder);
    http = HttpStorage.open(served.uri(), served.token());
    lock = http.lock("durable test");
    return http;
  }

  private byte[] bytes() {
    byte[] bytes = new byte[3 * Durable.CHUNK + 17];
    new Random(3).nextBytes(bytes);
    return bytes;
  }

  private Path onCarrier(String name) {
    return dir.resolve("carrier").resolve(name);
  }

  @ParameterizedTest(name = "over HTTP: {0}")
  @ValueSource(booleans = {false, true})
  void aStreamOntoNoFileIsTheWholeFile(boolean overHttp) throws IOException {
    CarrierStorage storage = storage(overHttp);
    byte[] bytes = bytes();
    FileRecord r =
        Durable.copyIn(storage, new ByteArrayInputStream(bytes), "tmp/S3.zst", Progress.NONE);
    assertEquals(new FileRecord(bytes.length, Hex.sha256(bytes)), r);
    assertArrayEquals(bytes, Files.readAllBytes(onCarrier("tmp/S3.zst")));
  }

  @ParameterizedTest(name = "over HTTP: {0}")
  @ValueSource(booleans = {false, true})
  void aStreamOntoALongerFileOfOtherBytesLeavesOnlyItsOwn(boolean overHttp) throws IOException {
    CarrierStorage storage = storage(overHttp);
    byte[] bytes = bytes();
    Files.write(onCarrier("tmp/S3.zst"), new byte[bytes.length * 2]);
    FileRecord r =
        Durable.copyIn(storage, new ByteArrayInputStream(bytes), "tmp/S3.zst", Progress.NONE);
    assertEquals(bytes.length, r.size());
    assertArrayEquals(bytes, Files.readAllBytes(onCarrier("tmp/S3.zst")));
  }

  @ParameterizedTest(name = "over HTTP: {0}")
  @ValueSource(booleans = {false, true})
  void aFileOntoALongerFileOfOtherBytesLeavesOnlyItsOwn(boolean overHttp) throws IOException {
    CarrierStorage storage = storage(overHttp);
    byte[] bytes = bytes();
    Path source = Files.write(dir.resolve("L3.qcow2"), bytes);
    Files.write(onCarrier("tmp/L3.qcow2"), new byte[bytes.length + 5]);
    Durable.copyIn(storage, source, "tmp/L3.qcow2", Progress.NONE);
    assertArrayEquals(bytes, Files.readAllBytes(onCarrier("tmp/L3.qcow2")));
  }

  @ParameterizedTest(name = "over HTTP: {0}")
  @ValueSource(booleans = {false, true})
  void anEmptySourceMakesAnEmptyFile(boolean overHttp) throws IOException {
    CarrierStorage storage = storage(overHttp);
    Path empty = Files.write(dir.resolve("empty"), new byte[0]);
    Durable.copyIn(storage, empty, "tmp/a", Progress.NONE);
    Durable.copyIn(storage, new ByteArrayInputStream(new byte[0]), "tmp/b", Progress.NONE);
    assertEquals(0, Files.size(onCarrier("tmp/a")));
    assertEquals(0, Files.size(onCarrier("tmp/b")));
  }
}
