package dev.carryon.companion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carryon phone list} and {@code phone pair}, run as a user does, against the stand-in phone. */
class PhoneCommandTest {
  @TempDir Path dir;

  @Test
  void listsThePhoneAndPairsWithIt() throws Exception {
    try (StandInPhone phone = StandInPhone.start("STANDIN01", dir.resolve("phone"), dir.resolve("phone/storage"))) {
      TestHost host = SessionKit.host(dir, "hostA");
      JsonNode list = new ObjectMapper().readTree(host.run(phone.env(), "phone", "list", "--json").expect(0).out());
      assertEquals(1, list.size(), list.toString());
      assertEquals("STANDIN01", list.get(0).get("serial").asText());
      assertEquals("device", list.get(0).get("state").asText());
      assertFalse(list.get(0).get("paired").asBoolean());
      assertEquals(CompanionServer.SERVER, list.get(0).get("companion").get("server").asText());
      assertFalse(list.get(0).get("companion").get("serving").asBoolean());

      String paired = host.run(phone.env(), "phone", "pair").expect(0).out();
      assertTrue(paired.startsWith("paired with phone STANDIN01 (carryon-companion/"), paired);
      Path token = host.home().resolve("phones/STANDIN01.token");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(token)));
      assertEquals(Files.readString(dir.resolve("phone/companion-token")), Files.readString(token));
      assertTrue(host.run(phone.env(), "phone", "list").expect(0).out().startsWith("STANDIN01            device        paired  carryon-companion/"));

      String gone = host.run(phone.env(), "phone", "pair", "--serial", "OTHER1").expect(5).errorLine();
      assertEquals("carryon: phone OTHER1 is not connected ('adb devices' does not list it)", gone);
    }
  }
}
