package dev.carryon.launcher.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.storage.Hex;
import dev.carryon.testdata.LockProbe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one pin rule of this host's stores: a pin holds while its process holds its lock (made whole
 * before anyone sees it, grown while held), and a pin file nobody locks is dropped.
 */
class PinsTest {
  @TempDir Path dir;

  @Test
  void aHeldPinProtectsWhatItNamesAndOneNobodyHoldsIsDropped() throws Exception {
    Pins pins = Pins.in(dir.resolve("pins"));
    byte[] a = sha("a");
    byte[] b = sha("b");
    byte[] c = sha("c");
    try (Pins.Pin running = pins.hold("running-1", List.of(a, b))) {
      assertEquals(Set.of(Hex.of(a), Hex.of(b)), pins.held());
      running.add(c);
      assertEquals(Set.of(Hex.of(a), Hex.of(b), Hex.of(c)), pins.held());
      // Reading its own pins left the lock in place for the other processes.
      assertTrue(LockProbe.lockedByAnother(dir.resolve("pins/running-1")));
      // A session whose process died: its pin file is there, locked by nobody.
      Path dead = Files.write(dir.resolve("pins/crashed-2"), sha("d"));
      assertEquals(Set.of(Hex.of(a), Hex.of(b), Hex.of(c)), Pins.in(dir.resolve("pins")).held());
      assertFalse(Files.exists(dead), "the dead session's pin was dropped");
    }
    assertFalse(Files.exists(dir.resolve("pins/running-1")));
    assertEquals(Set.of(), pins.held());
  }

  @Test
  void aSessionThatCannotNameAFileOrAHashThatIsNotOneIsRefused() throws Exception {
    Pins pins = Pins.in(dir.resolve("pins"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> pins.hold("../escape", List.of()));
    assertTrue(e.getMessage().contains("'../escape' cannot name a pin file"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> pins.hold(".hidden", List.of()));
    assertThrows(IllegalArgumentException.class, () -> pins.hold("..", List.of()));
    e = assertThrows(IllegalArgumentException.class, () -> pins.hold("s", List.of(new byte[31])));
    assertTrue(e.getMessage().contains("not 31"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("escape")));
    assertEquals(Set.of(), pins.held());
  }

  private static byte[] sha(String s) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
  }
}
