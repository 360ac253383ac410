package dev.carryon.launcher.phone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What carryon reads of adb's answers, against a stand-in adb (a script with the answers real adb
 * 29 and Android's content tool give; no phone can be plugged into this machine) that also logs
 * every command line it was given.
 */
class AdbTest {
  private static final String TOKEN = "3f9c".repeat(16);

  @TempDir Path dir;
  private Adb adb;
  private Path log;

  @BeforeEach
  void standIn() throws IOException {
    log = dir.resolve("calls");
    Path script = dir.resolve("adb");
    Files.writeString(
        script,
        "#!/bin/bash\n"
            + "echo \"$*\" >> " + log + "\n"
            + "case \"$*\" in\n"
            + "  devices) printf '* daemon not running; starting now at tcp:5037\\n* daemon started"
            + " successfully\\nList of devices attached\\nR58M1234\\tdevice\\nemulator-5554\\tunauthorized\\n\\n' ;;\n"
            + "  '-s R58M1234 shell content call --uri content://dev.carryon.companion.pairing --method token')\n"
            + "    echo 'Result: Bundle[{server=carryon-companion/0.1.0, port=41235, token=" + TOKEN + "}]' ;;\n"
            + "  '-s IDLE shell content call --uri content://dev.carryon.companion.pairing --method token')\n"
            + "    echo 'Result: Bundle[{token=" + TOKEN + ", port=0, server=carryon-companion/0.1.0}]' ;;\n"
            + "  '-s NOAPP shell content call --uri content://dev.carryon.companion.pairing --method token')\n"
            + "    echo 'Error while accessing provider:dev.carryon.companion.pairing'\n"
            + "    echo 'java.lang.IllegalArgumentException: Unknown authority dev.carryon.companion.pairing'; exit 1 ;;\n"
            + "  '-s OTHER shell content call --uri content://dev.carryon.companion.pairing --method token')\n"
            + "    echo 'Error while accessing provider:dev.carryon.companion.pairing'\n"
            + "    echo 'java.lang.SecurityException: carryon pairing answers the shell user (adb) only; uid 10123 was refused'; exit 1 ;;\n"
            + "  '-s ODD shell content call --uri content://dev.carryon.companion.pairing --method token')\n"
            + "    echo 'Result: Bundle[{port=99999999, token=short}]' ;;\n"
            + "  'devices -l') printf 'List of devices attached\\nR58M1234               device usb:1-4.2 product:a52 model:SM_A525F device:a52q transport_id:3\\n"
            + "emulator-5554          unauthorized transport_id:1\\n\\n' ;;\n"
            + "  '-s R58M1234 shell content call --uri content://dev.carryon.companion.pairing --method carriers')\n"
            + "    echo 'Result: Bundle[{names=home,work-2}]' ;;\n"
            + "  '-s IDLE shell content call --uri content://dev.carryon.companion.pairing --method carriers')\n"
            + "    echo 'Result: Bundle[{names=}]' ;;\n"
            + "  '-s ODD shell content call --uri content://dev.carryon.companion.pairing --method carriers')\n"
            + "    echo 'Result: Bundle[{names=work,../etc}]' ;;\n"
            + "  '-s R58M1234 forward tcp:0 tcp:41235') echo 38115 ;;\n"
            + "  '-s R58M1234 forward --remove tcp:38115') ;;\n"
            + "  '-s R58M1234 shell am start-foreground-service -n dev.carryon.companion/.app.ServingService')\n"
            + "    echo 'Starting service: Intent { cmp=dev.carryon.companion/.app.ServingService }' ;;\n"
            + "  *) echo \"adb: device '${2}' not found\" >&2; exit 1 ;;\n"
            + "esac\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    adb = Adb.at(script);
  }

  @Test
  void listsThePhonesAndTheirStates() {
    List<Adb.Device> devices = adb.devices();
    assertEquals(List.of(new Adb.Device("R58M1234", "device"), new Adb.Device("emulator-5554", "unauthorized")), devices);
    assertTrue(devices.get(0).ready());
    assertFalse(devices.get(1).ready());
  }

  @Test
  void readsTheCompanionsPairingAnswer() {
    Adb.Companion c = adb.companion("R58M1234");
    assertEquals(new Adb.Companion(TOKEN, 41235, "carryon-companion/0.1.0"), c);
    assertTrue(c.serving());
    assertFalse(adb.companion("IDLE").serving());
  }

  @Test
  void findsThePhoneOnAUsbPortAndItsCarriers() {
    assertEquals(Optional.of(new Adb.Device("R58M1234", "device")), adb.onUsb("1-4.2"));
    assertEquals(Optional.empty(), adb.onUsb("1-4"));
    assertEquals(List.of("home", "work-2"), adb.carriers("R58M1234"));
    assertEquals(List.of(), adb.carriers("IDLE"));
    assertFails(ExitCodes.BAD_INPUT, "the companion lists '../etc', which is not a carrier name", () -> adb.carriers("ODD"));
    assertFails(ExitCodes.ENVIRONMENT, "the carryon companion app is not installed", () -> adb.carriers("NOAPP"));
  }

  @Test
  void forwardsAPortAndRemovesIt() throws IOException {
    assertEquals(38115, adb.forward("R58M1234", 41235));
    adb.removeForward("R58M1234", 38115);
    adb.startServing("R58M1234");
    assertEquals(
        List.of(
            "-s R58M1234 forward tcp:0 tcp:41235",
            "-s R58M1234 forward --remove tcp:38115",
            "-s R58M1234 shell am start-foreground-service -n dev.carryon.companion/.app.ServingService"),
        Files.readAllLines(log));
  }

  @Test
  void eachFailureSaysWhatToDo() {
    assertFails(ExitCodes.ENVIRONMENT, "the carryon companion app is not installed (adb -s NOAPP install", () -> adb.companion("NOAPP"));
    assertFails(ExitCodes.REFUSED, "the companion did not pair: Error while accessing provider", () -> adb.companion("OTHER"));
    assertFails(ExitCodes.BAD_INPUT, "pairing answer is not one carryon reads", () -> adb.companion("ODD"));
    assertFails(ExitCodes.ENVIRONMENT, "phone GONE is not connected", () -> adb.forward("GONE", 1));
    assertFails(
        ExitCodes.ENVIRONMENT,
        "adb is not installed (Debian's package adb)",
        () -> Adb.at(dir.resolve("no-such-adb")).devices());
  }

  @Test
  void aSerialThatIsNoneNeverReachesAdb() throws IOException {
    for (String bad : new String[] {"-s", "a b", "../x", "x;rm", ""}) {
      assertFails(ExitCodes.USAGE, "is not a phone's serial", () -> adb.companion(bad));
    }
    assertFalse(Files.exists(log), "adb ran");
  }

  private static void assertFails(int exit, String message, Runnable step) {
    CarryonException e = assertThrows(CarryonException.class, step::run);
    assertEquals(exit, e.exitCode(), e.getMessage());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
