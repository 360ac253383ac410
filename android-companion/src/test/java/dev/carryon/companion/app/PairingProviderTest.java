package dev.carryon.companion.app;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import android.content.Intent;
import android.os.Bundle;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.companion.CompanionServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.Robolectric;
import org.robolectric.RobolectricTestRunner;
import org.robolectric.RuntimeEnvironment;
import org.robolectric.android.controller.ServiceController;
import org.robolectric.shadows.ShadowBinder;

/**
 * Pairing: the provider hands the token (and the port served) to the shell user, as {@code adb
 * shell content call} is, and refuses every other caller, another app on the phone included.
 */
@RunWith(RobolectricTestRunner.class)
public class PairingProviderTest {
  @After
  public void reset() {
    ShadowBinder.reset();
  }

  @Test
  public void answersTheShellUser() throws Exception {
    PairingProvider provider = Robolectric.setupContentProvider(PairingProvider.class, "dev.carryon.companion.pairing");
    ShadowBinder.setCallingUid(PairingProvider.SHELL_UID);
    Bundle answer = provider.call("token", null, null);
    String token = CompanionFiles.token(RuntimeEnvironment.getApplication());
    assertEquals(token, answer.getString("token"));
    assertEquals(64, token.length());
    assertEquals("not serving: port 0", 0, answer.getInt("port"));
    assertEquals(CompanionServer.SERVER, answer.getString("server"));

    ServiceController<ServingService> service =
        Robolectric.buildService(ServingService.class, new Intent()).create().startCommand(0, 1);
    try {
      answer = provider.call("token", null, null);
      assertEquals(ServingService.current().address().getPort(), answer.getInt("port"));
      assertEquals("the same token while serving", token, answer.getString("token"));
    } finally {
      service.destroy();
    }
  }

  @Test
  public void namesTheCarriersOnThePhone() throws Exception {
    PairingProvider provider = Robolectric.setupContentProvider(PairingProvider.class, "dev.carryon.companion.pairing");
    ShadowBinder.setCallingUid(PairingProvider.SHELL_UID);
    assertEquals("", provider.call("carriers", null, null).getString("names"));
    Path carriers = CompanionFiles.carriers(RuntimeEnvironment.getApplication());
    for (String name : new String[] {"work", "home", "being-made", ".hidden"}) {
      Files.createDirectories(carriers.resolve(name));
      if (!name.equals("being-made")) {
        Files.writeString(carriers.resolve(name).resolve(FolderStorage.MANIFEST), "{}");
      }
    }
    assertEquals("home,work", provider.call("carriers", null, null).getString("names"));
    ShadowBinder.setCallingUid(10_123);
    assertThrows(SecurityException.class, () -> provider.call("carriers", null, null));
  }

  @Test
  public void refusesAnyOtherCaller() {
    PairingProvider provider = Robolectric.setupContentProvider(PairingProvider.class, "dev.carryon.companion.pairing");
    for (int uid : new int[] {10_123, android.os.Process.myUid(), 0}) {
      ShadowBinder.setCallingUid(uid);
      SecurityException e = assertThrows(SecurityException.class, () -> provider.call("token", null, null));
      assertTrue(e.getMessage(), e.getMessage().contains("uid " + uid + " was refused"));
    }
  }

  @Test
  public void refusesAnUnknownMethod() {
    PairingProvider provider = Robolectric.setupContentProvider(PairingProvider.class, "dev.carryon.companion.pairing");
    ShadowBinder.setCallingUid(PairingProvider.SHELL_UID);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> provider.call("secrets", null, null));
    assertTrue(e.getMessage(), e.getMessage().contains("no method 'secrets'"));
  }
}
