package dev.carryon.launcher.phone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Phone carrier names as users type them, and the pairing files. */
class PhoneNameTest {
  @TempDir Path dir;

  @Test
  void parsesBothForms() {
    assertEquals(new PhoneName("R58M1234", "work"), PhoneName.parse("adb://R58M1234/work"));
    assertEquals(new PhoneName("192.168.1.5:5555", "w.1"), PhoneName.parse("adb://192.168.1.5:5555/w.1/"));
    assertEquals(new PhoneName(null, "work"), PhoneName.parse("adb:work"));
    assertEquals("adb://R58M1234/work", PhoneName.parse("adb://R58M1234/work/").toString());
    assertTrue(PhoneName.isPhone("adb:x"));
    assertFalse(PhoneName.isPhone("/media/usb/adb:x"));
  }

  @Test
  void refusesWhatNamesNoCarrierOnAPhone() {
    String[][] cases = {
      {"adb:", "'' is not a carrier name"},
      {"adb:../etc", "'../etc' is not a carrier name"},
      {"adb:a/b", "'a/b' is not a carrier name"},
      {"adb:.hidden", "'.hidden' is not a carrier name"},
      {"adb://R58M1234", "no carrier name after the serial"},
      {"adb://a b/work", "'a b' is not a phone's serial"},
      {"adb://-s/work", "'-s' is not a phone's serial"},
      {"usb:work", "adb://SERIAL/NAME or adb:NAME"},
    };
    for (String[] c : cases) {
      CarryonException e = assertThrows(CarryonException.class, () -> PhoneName.parse(c[0]), c[0]);
      assertEquals(ExitCodes.USAGE, e.exitCode());
      assertTrue(e.getMessage().startsWith(c[0] + ": ") && e.getMessage().contains(c[1]), e.getMessage());
    }
  }

  @Test
  void pairingsAreKeptForTheirOwnerOnly() throws Exception {
    Pairings p = new Pairings(dir.resolve("phones"));
    assertFalse(p.paired("R58M1234"));
    CarryonException none = assertThrows(CarryonException.class, () -> p.token("R58M1234"));
    assertTrue(none.getMessage().contains("run carryon phone pair --serial R58M1234"), none.getMessage());
    p.remember("R58M1234", "first-token-0123456789");
    p.remember("R58M1234", "second-token-0123456789");
    assertEquals("second-token-0123456789", p.token("R58M1234"));
    Path file = dir.resolve("phones/R58M1234.token");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    CarryonException open = assertThrows(CarryonException.class, () -> p.token("R58M1234"));
    assertEquals(ExitCodes.REFUSED, open.exitCode());
    assertTrue(open.getMessage().contains("is open to others (mode rw-r--r--)"), open.getMessage());
  }
}
