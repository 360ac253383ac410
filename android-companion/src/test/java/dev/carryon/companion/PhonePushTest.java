package dev.carryon.companion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carryon phone push}: a folder carrier copied onto the stand-in phone, cut by the phone's
 * companion dying at a write (as a phone unplugged or killed would), then finished by a rerun that
 * keeps what arrived; the copy on the phone is the same carrier, every file checked.
 */
class PhonePushTest {
  @TempDir Path dir;

  @Test
  void pushesAFolderCarrierAndFinishesACutPush() throws Exception {
    try (StandInPhone phone =
        StandInPhone.start("STANDIN01", dir.resolve("phone"), dir.resolve("phone/storage"))) {
      TestHost host = new TestHost(dir.resolve("hostA"), "hostA", phone.env());
      host.run("phone", "pair").expect(0);
      TestCarrier laptop = SessionKit.initCarrier(host, dir.resolve("laptop"));

      // The phone dies at its 6th write under the new carrier's folder.
      phone.companionEnv("CARRYON_CUT_ROOT", phone.root().resolve("laptop").toString());
      phone.companionEnv("CARRYON_CUT_AT", "6");
      Run cut = host.run("phone", "push", laptop.toString());
      assertNotEquals(0, cut.exit(), cut.toString());
      assertFalse(Files.exists(phone.root().resolve("laptop/carryon.json")), "no manifest before every file");
      assertEquals(
          "carryon: adb://STANDIN01/laptop: not a carrier (no carryon.json)",
          host.run("verify", "adb:laptop").expect(3).errorLine());

      phone.killCompanion();
      phone.clearCompanionEnv();
      String done = host.run("phone", "push", laptop.toString()).expect(0).out();
      Matcher m = Pattern.compile("pushed .* to adb://STANDIN01/laptop: (\\d+) files, ([\\d,]+) bytes sent, ([\\d,]+) bytes already there; .*\n").matcher(done);
      assertTrue(m.matches(), done);
      assertTrue(Long.parseLong(m.group(3).replace(",", "")) > 0, done);
      assertEquals(SessionKit.fingerprint(laptop), SessionKit.fingerprint(new TestCarrier("adb:laptop", phone.root().resolve("laptop"))));
      host.run("verify", "adb:laptop").expect(0);
      assertEquals(
          laptop + " is already on the phone as adb://STANDIN01/laptop; nothing to do\n",
          host.run("phone", "push", laptop.toString()).expect(0).out());

      // Another carrier on the phone is not overwritten.
      TestCarrier other = SessionKit.initCarrier(host, dir.resolve("other"));
      assertEquals(
          "carryon: adb://STANDIN01/laptop already holds a carrier (not this one as it is now): push"
              + " under another name, or remove that one first",
          host.run("phone", "push", other.toString(), "--as", "laptop").expect(4).errorLine());
      assertEquals(List.of(), phone.forwards());
    }
  }
}
