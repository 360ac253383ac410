package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.carrier.client.ClientToken;
import dev.carryon.carrier.server.ServedFolder;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestHost;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands on a carrier given by its URL, against a real server on loopback: init makes it there,
 * status, verify and lease read it as they read a folder, and every bad way of reaching it is
 * refused with one clear line and its exit code, the carrier unchanged.
 */
class UrlCarrierTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;

  /** The served folder of carriers, one at {@code /c/}. */
  private static ServedFolder served;

  /** The carrier's URL. */
  private static String url;

  /** A host holding the token in its environment. */
  private static TestHost host;

  @BeforeAll
  static void makeCarrierThroughTheServer() throws Exception {
    served = ServedFolder.many(Files.createDirectories(dir.resolve("carriers")));
    url = served.uri().resolve("c/").toString();
    host = new TestHost(dir.resolve("home"), "host", Map.of(ClientToken.ENV, served.token()));
    Path disk = dir.resolve("disk.raw");
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(1 << 20);
    }
    String made = host.run("init", url, "--image", disk.toString(), "--memory", "64M").expect(0).out();
    assertTrue(made.startsWith("made carrier " + url + ": generation 1"), made);
    assertTrue(Files.isRegularFile(served.folder().resolve("c").resolve(FolderStorage.MANIFEST)));
  }

  @AfterAll
  static void stopServer() throws Exception {
    served.close();
  }

  @Test
  void statusVerifyAndLeaseReadTheServedCarrier() throws Exception {
    JsonNode status = JSON.readTree(host.run("status", url, "--json").expect(0).out());
    assertEquals(1, status.get("generation").asLong());
    assertEquals(url, status.get("carrier").asText());
    assertEquals(url + "cow.qcow2", status.get("disk").asText());
    assertTrue(status.get("unplug").get("safe").asBoolean());
    assertTrue(status.get("unplug").get("why").asText().startsWith("not for URL carriers"));
    assertTrue(host.run("verify", url).expect(0).out().startsWith(url + ": ok (generation 1"));
    assertEquals(url + ": free\n", host.run("lease", "show", url).expect(0).out());
    // The token from a file works as the environment's does.
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, served.token() + "\n");
    Files.setPosixFilePermissions(tokenFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    new TestHost(dir.resolve("home2"), "host2")
        .run("status", url, "--token-file", tokenFile.toString())
        .expect(0);
  }

  @Test
  void aWrongTokenIsRefusedAndChangesNothing() throws Exception {
    Map<String, String> before = SessionKit.fingerprint(SessionKit.carrierAt(carrierFolder()));
    Run r = host.run(Map.of(ClientToken.ENV, "x".repeat(43)), "lease", "break", url, "--yes");
    r.expect(ExitCodes.REFUSED);
    assertTrue(r.errorLine().contains(url), r::toString);
    assertEquals(before, SessionKit.fingerprint(SessionKit.carrierAt(carrierFolder())));
  }

  @Test
  void noTokenIsAUsageErrorNamingWhereToPutIt() throws Exception {
    Run r = new TestHost(dir.resolve("home3"), "host3").run("status", url);
    r.expect(ExitCodes.USAGE);
    assertTrue(r.errorLine().contains("--token-file FILE or set " + ClientToken.ENV), r::toString);
  }

  @Test
  void aMissingTokenFileIsNamed() throws Exception {
    Path missing = dir.resolve("no-such-token");
    Run r = host.run("verify", url, "--token-file", missing.toString());
    r.expect(ExitCodes.BAD_INPUT);
    assertTrue(r.errorLine().contains(missing.toString()), r::toString);
  }

  @Test
  void aUrlWithoutACarrierIsNotTakenForAnEmptyOne() throws Exception {
    String other = served.uri().resolve("nothing-here/").toString();
    Run r = host.run("status", other);
    r.expect(ExitCodes.BAD_INPUT);
    assertTrue(r.errorLine().contains(other + ": the server holds no carrier"), r::toString);
  }

  @Test
  void aServerThatIsGoneIsACarrierThatIsNotThere() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("gone"));
    String gone;
    try (ServedFolder s = ServedFolder.single(folder)) {
      gone = s.uri().toString();
    }
    Run r = host.run("status", gone);
    r.expect(ExitCodes.BAD_INPUT);
    assertTrue(r.errorLine().contains("cannot reach the carrier server at " + gone), r::toString);
  }

  @Test
  void folderOnlyOptionsSayTheyAreNotForUrls() throws Exception {
    Run r = host.run("end", url, "--wait");
    r.expect(ExitCodes.USAGE);
    assertTrue(r.errorLine().contains("--wait is not for URL carriers"), r::toString);
    Run bad = host.run("status", "http://");
    bad.expect(ExitCodes.USAGE);
    assertTrue(bad.errorLine().contains("is not a carrier URL"), bad::toString);
  }

  @Test
  void syncFoldsTheServedCarrierIntoAHostImageAndResetsItThroughTheServer() throws Exception {
    String synced = served.uri().resolve("s/").toString();
    Path disk = dir.resolve("sync-disk.raw");
    byte[] content = new byte[1 << 20];
    new java.util.Random(7).nextBytes(content);
    Files.write(disk, content);
    host.run("init", synced, "--image", disk.toString(), "--memory", "64M").expect(0);
    // This host's own copy of the disk; an image that is not a copy is refused (below).
    Path hostImage = Files.copy(disk, dir.resolve("host-image.raw"));

    String first = host.run("sync", synced, "--host-image", hostImage.toString()).expect(0).out();
    assertTrue(first.startsWith("synced generation 1 of " + synced), first);
    assertTrue(SessionKit.sameContent(hostImage, disk), "the host image holds the carrier's disk");
    Files.write(dir.resolve("other.raw"), new byte[1 << 20]);
    host.run("sync", synced, "--host-image", dir.resolve("other.raw").toString()).expect(ExitCodes.REFUSED);
    String again =
        host.run("sync", synced, "--host-image", hostImage.toString(), "--reset-above", "1")
            .expect(0)
            .out();
    assertTrue(again.contains("is up to date with generation 1 of " + synced), again);
    assertTrue(again.contains("reset: COW was"), again);
    assertEquals(2, JSON.readTree(host.run("status", synced, "--json").expect(0).out()).get("generation").asLong());
    assertTrue(host.run("verify", synced).expect(0).out().startsWith(synced + ": ok (generation 2"));
  }

  private static Path carrierFolder() {
    return served.folder().resolve("c");
  }
}
