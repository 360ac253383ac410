package dev.carryon.companion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Carrier commands on {@code adb:} names, run as a user does, against the stand-in phone: each
 * command sets up its own adb forward and removes it when done, whether it worked or failed, and
 * each way of not reaching the carrier is a clear message and exit code.
 */
class PhoneCarrierTest {
  @TempDir Path dir;

  @Test
  void carrierCommandsWorkOnACarrierOnThePhone() throws Exception {
    try (StandInPhone phone =
        StandInPhone.start("STANDIN01", dir.resolve("phone"), dir.resolve("phone/storage"))) {
      TestHost host = new TestHost(dir.resolve("hostA"), "hostA", phone.env());
      TestCarrier work = new TestCarrier("adb:work", phone.root().resolve("work"));

      assertEquals(
          "carryon: this PC is not paired with phone STANDIN01: run carryon phone pair --serial"
              + " STANDIN01",
          host.run("verify", "adb:work").expect(4).errorLine());
      host.run("phone", "pair").expect(0);

      SessionKit.init(host, work);
      assertTrue(Files.isRegularFile(work.resolve("carryon.json")), "the manifest is on the phone");
      assertEquals(List.of(), phone.forwards());

      JsonNode status = host.status(work);
      assertEquals("adb://STANDIN01/work", status.get("carrier").asText());
      assertEquals(1, status.get("generation").asInt());
      assertTrue(status.get("session").isNull());
      String verified = host.run("verify", "adb://STANDIN01/work").expect(0).out();
      assertTrue(verified.contains("adb://STANDIN01/work"), verified);
      assertTrue(host.run("lease", "show", "adb:work").expect(0).out().contains("free"));
      assertEquals(List.of(), phone.forwards());

      // A command that fails removes its forward too.
      assertEquals(
          "carryon: adb://STANDIN01/nothing: not a carrier (no carryon.json)",
          host.run("verify", "adb:nothing").expect(3).errorLine());
      assertEquals(
          "carryon: adb://STANDIN01/work: already a carrier (it has a carryon.json)",
          host.run("init", "adb:work", "--image", dir.resolve("none.qcow2").toString())
              .expect(3)
              .errorLine());
      assertEquals(List.of(), phone.forwards());

      // A companion stopped on the phone is started again through adb.
      phone.killCompanion();
      host.run("verify", "adb:work").expect(0);

      phone.alsoListed("STANDIN02", "device");
      assertEquals(
          "carryon: several phones are connected (STANDIN01, STANDIN02): name one,"
              + " adb://SERIAL/NAME or --serial SERIAL",
          host.run("verify", "adb:work").expect(2).errorLine());
      host.run("verify", "adb://STANDIN01/work").expect(0);
      // Paired once, not connected now.
      Path gone = host.home().resolve("phones/GONE01.token");
      Files.writeString(gone, "0123456789abcdef0123456789abcdef\n");
      Files.setPosixFilePermissions(gone, PosixFilePermissions.fromString("rw-------"));
      assertEquals(
          "carryon: phone GONE01 is not connected ('adb devices' does not list it)",
          host.run("verify", "adb://GONE01/work").expect(5).errorLine());
      assertEquals(
          "carryon: adb:../x: '../x' is not a carrier name (1-64 letters, digits, '.', '_', '-',"
              + " not starting with '.')",
          host.run("verify", "adb:../x").expect(2).errorLine());
      assertEquals(List.of(), phone.forwards());
    }
  }
}
