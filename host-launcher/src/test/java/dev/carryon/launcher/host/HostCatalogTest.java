package dev.carryon.launcher.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostCatalogTest {
  @TempDir Path dir;

  @Test
  void hostIdIsMadeOnceAndSurvivesReopening() throws IOException {
    HostHome home = HostHome.at(dir.resolve("home"));
    String first;
    try (HostCatalog catalog = HostCatalog.open(home)) {
      first = catalog.hostId();
      assertEquals(first, catalog.hostId());
    }
    try (HostCatalog catalog = HostCatalog.open(home)) {
      assertEquals(first, catalog.hostId());
    }
    try (HostCatalog other = HostCatalog.open(HostHome.at(dir.resolve("other")))) {
      assertFalse(first.equals(other.hostId()), "two homes are two hosts");
    }
  }

  @Test
  void openSessionFollowsItsState() throws IOException {
    HostHome home = HostHome.at(dir);
    try (HostCatalog catalog = HostCatalog.open(home)) {
      Instant t = Instant.parse("2026-11-22T10:00:00Z");
      SessionRecord running =
          new SessionRecord(
              "s1", "c1", dir.resolve("carrier").toString(), home.sessionDir("s1"), SessionState.RUNNING, 4,
              1234, dir.resolve("qemu"), "tcg", t, null);
      catalog.saveSession(running);
      assertEquals(running, catalog.openSession("c1").orElseThrow());
      assertTrue(catalog.openSession("c2").isEmpty());

      SessionRecord saved = running.withState(SessionState.SAVED, t.plusSeconds(5));
      catalog.saveSession(saved);
      assertEquals(0, catalog.openSession("c1").orElseThrow().qemuPid(), "no QEMU after a save");
      assertEquals(null, catalog.openSession("c1").orElseThrow().qemuDir());

      catalog.saveSession(saved.withState(SessionState.ENDED, t.plusSeconds(9)));
      assertTrue(catalog.openSession("c1").isEmpty());
      SessionRecord ended = catalog.session("s1").orElseThrow();
      assertEquals(SessionState.ENDED, ended.state());
      assertEquals(t.plusSeconds(9), ended.endedAt());
      assertEquals(1, catalog.sessions().size());
    }
  }

  @Test
  void aFileThatIsNotSqliteIsNamedInTheError() throws IOException {
    HostHome home = HostHome.at(dir);
    Files.writeString(home.catalogFile(), "this is not a database, just text that is long enough");
    IOException e = assertThrows(IOException.class, () -> HostCatalog.open(home).hostId());
    assertTrue(e.getMessage().contains(home.catalogFile().toString()), e.getMessage());
  }
}
