package dev.carryon.companion.app;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.robolectric.Shadows.shadowOf;

import android.app.Notification;
import android.content.Context;
import android.content.Intent;
import dev.carryon.companion.CompanionServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.Robolectric;
import org.robolectric.RobolectricTestRunner;
import org.robolectric.RuntimeEnvironment;
import org.robolectric.android.controller.ServiceController;

/**
 * The foreground service on Robolectric's Android: it starts serving the app's carriers on
 * 127.0.0.1 with the app's token, answers a request that carries the token, refuses one without,
 * shows its notification, and stops serving when destroyed.
 */
@RunWith(RobolectricTestRunner.class)
public class ServingServiceTest {
  private ServiceController<ServingService> controller;

  @After
  public void destroy() {
    if (controller != null && ServingService.current() != null) {
      controller.destroy();
    }
  }

  @Test
  public void servesWithTheTokenAndRefusesWithout() throws Exception {
    Context context = RuntimeEnvironment.getApplication();
    controller = Robolectric.buildService(ServingService.class, new Intent()).create().startCommand(0, 1);
    CompanionServer server = ServingService.current();
    assertNotNull("the service serves once started", server);
    assertTrue(server.address().getAddress().isLoopbackAddress());
    assertEquals(CompanionFiles.carriers(context).toAbsolutePath(), server.root());

    Notification n = shadowOf(controller.get()).getLastForegroundNotification();
    assertNotNull("the service runs in the foreground", n);
    assertEquals(
        "On 127.0.0.1:" + server.address().getPort() + ", through adb",
        shadowOf(n).getContentText().toString());

    String token = CompanionFiles.token(context);
    URL info = new URL(server.url() + "phone1/api/v1/info");
    HttpURLConnection ok = (HttpURLConnection) info.openConnection();
    ok.setRequestProperty("Authorization", "Bearer " + token);
    assertEquals(200, ok.getResponseCode());
    String body = new String(ok.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(body, body.contains("\"server\":\"" + CompanionServer.SERVER + "\""));

    HttpURLConnection refused = (HttpURLConnection) info.openConnection();
    assertEquals(401, refused.getResponseCode());
    String error = new String(refused.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(error, error.contains("\"error\":\"unauthorized\""));

    controller.destroy();
    assertNull("destroyed, the service serves no more", ServingService.current());
    try {
      ((HttpURLConnection) info.openConnection()).getResponseCode();
      fail("the server still answers after the service was destroyed");
    } catch (ConnectException expected) {
      // Nothing listens on the port any more.
    }
  }

  @Test
  public void theStopActionStopsTheService() throws IOException {
    controller = Robolectric.buildService(ServingService.class, new Intent()).create().startCommand(0, 1);
    assertNotNull(ServingService.current());
    Intent stop = new Intent(RuntimeEnvironment.getApplication(), ServingService.class).setAction(ServingService.ACTION_STOP);
    controller.withIntent(stop).startCommand(0, 2);
    assertTrue("the stop action stops the service", shadowOf(controller.get()).isStoppedBySelf());
    controller.destroy();
    assertNull(ServingService.current());
  }
}
