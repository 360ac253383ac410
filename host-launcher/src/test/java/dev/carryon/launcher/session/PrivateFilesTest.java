package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Everything carryon makes on a host and on a carrier is its owner's only, even for a user whose
 * umask gives every file to everyone (000): checked after each command that writes.
 */
class PrivateFilesTest {
  @TempDir static Path root;

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  @Test
  void underUmask000EveryFileIsTheOwnersOnly() throws Exception {
    TestHost a = host(root, "hostA").withUmask("000");
    TestCarrier carrier = SessionKit.initCarrier(a, root.resolve("carrier"));
    assertPrivate(a.home(), "catalog.db");
    assertPrivate(carrier.folder(), "carryon.json", "base.qcow2", "cow.qcow2");

    a.resume(carrier, root.resolve("A.log"));
    ConsoleLog console = new ConsoleLog(root.resolve("A.log"));
    console.waitFor(ConsoleLog.BOOT, SessionKit.BOOT);
    tickAbove(console, 1);
    // While it runs: the session's work folder, its local COW and its QEMU record.
    String session = a.status(carrier).get("session").get("id").asText();
    String work = "sessions/" + session + "/";
    assertPrivate(a.home(), work + ResumeSession.LOCAL_COW, work + SessionQemu.FILE);

    a.end(carrier);
    assertPrivate(a.home(), "catalog.db");
    assertPrivate(carrier.folder(), "carryon.json", "states/S2.zst", "layers/L2.qcow2");
  }

  /**
   * Asserts that every file and folder under {@code dir} gives nothing to group or others, and that
   * {@code expected} are among them (so the walk saw what matters). {@code dir} itself is left out:
   * the test kit makes a host's folder before its first command.
   */
  private static void assertPrivate(Path dir, String... expected) throws IOException {
    for (String name : expected) {
      assertTrue(Files.exists(dir.resolve(name), LinkOption.NOFOLLOW_LINKS), dir + "/" + name);
    }
    List<String> open = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(dir) || Files.isSymbolicLink(p)) {
          continue;
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
        String owner = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "rwx------" : "rw-------";
        if (!PosixFilePermissions.toString(mode).equals(owner)
            && !(isSocket(p) && PosixFilePermissions.toString(mode).equals("rwx------"))) {
          open.add(dir.relativize(p) + " " + PosixFilePermissions.toString(mode));
        }
      }
    }
    assertEquals(List.of(), open, "open to others under " + dir);
  }

  private static boolean isSocket(Path p) throws IOException {
    return !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
        && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
  }
}
