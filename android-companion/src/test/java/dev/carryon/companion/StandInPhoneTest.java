package dev.carryon.companion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.phone.Adb;
import dev.carryon.launcher.phone.Pairings;
import dev.carryon.launcher.phone.PhoneLink;
import dev.carryon.launcher.phone.PhoneName;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's way to a phone (Adb, Pairings, PhoneLink) against the stand-in phone: the companion
 * started when it does not serve, the token checked against the pairing, a forward that reaches
 * the companion's core and is removed when done.
 */
class StandInPhoneTest {
  @TempDir Path dir;

  @Test
  void linksToTheCompanionThroughAForward() throws Exception {
    try (StandInPhone phone = StandInPhone.start("STANDIN01", dir.resolve("phone"), dir.resolve("phone/storage"))) {
      Adb adb = Adb.at(phone.bin().resolve("adb"));
      assertEquals(List.of(new Adb.Device("STANDIN01", "device")), adb.devices());
      assertEquals("STANDIN01", PhoneLink.onlyPhone(adb));
      Pairings pairings = new Pairings(dir.resolve("home/phones"));
      CarryonException notPaired =
          assertThrows(CarryonException.class, () -> PhoneLink.open(PhoneName.parse("adb:work"), adb, pairings));
      assertTrue(notPaired.getMessage().contains("not paired with phone STANDIN01"), notPaired.getMessage());

      pairings.remember("STANDIN01", adb.companion("STANDIN01").token());
      try (PhoneLink link = PhoneLink.open(PhoneName.parse("adb:work"), adb, pairings)) {
        assertTrue(adb.companion("STANDIN01").serving(), "the link started the companion");
        assertEquals("adb://STANDIN01/work", link.name().toString());
        HttpResponse<String> info =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create(link.url() + "api/v1/info"))
                        .header("Authorization", "Bearer " + link.token())
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertEquals(200, info.statusCode(), info.body());
        assertEquals(1, phone.forwards().size());
      }
      assertEquals(List.of(), phone.forwards(), "closing the link removes its forward");
    }
  }
}
