package dev.carryon.companion.app;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.robolectric.Shadows.shadowOf;

import android.content.Intent;
import android.os.Looper;
import android.view.View;
import android.view.ViewGroup;
import android.widget.Button;
import android.widget.TextView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.Robolectric;
import org.robolectric.RobolectricTestRunner;
import org.robolectric.RuntimeEnvironment;
import org.robolectric.android.controller.ActivityController;

/**
 * The screen on Robolectric's Android: it lists the carrier folders in the app's storage (one
 * whose manifest is damaged says so rather than failing), the space left, and its button starts
 * the serving service.
 */
@RunWith(RobolectricTestRunner.class)
public class CarriersActivityTest {
  @Test
  public void listsTheCarriersAndStartsServing() throws Exception {
    Path carriers = CompanionFiles.carriers(RuntimeEnvironment.getApplication());
    Files.createDirectories(carriers.resolve("work"));
    Files.writeString(carriers.resolve("work/carryon.json"), "{ not json");
    Files.createDirectories(carriers.resolve("new"));

    ActivityController<CarriersActivity> controller = Robolectric.buildActivity(CarriersActivity.class).setup();
    List<String> texts = texts(controller.get().getWindow().getDecorView());
    assertTrue(texts.toString(), texts.contains("Not serving"));
    assertTrue(texts.toString(), texts.stream().anyMatch(t -> t.contains(" free in " + carriers)));
    assertTrue(texts.toString(), texts.stream().anyMatch(t -> t.equals("new\nno generation yet (being made) · 0 bytes")));
    assertTrue(texts.toString(), texts.stream().anyMatch(t -> t.startsWith("work\nunreadable: ") && t.contains("not JSON")));

    Button toggle = button(controller.get().getWindow().getDecorView());
    assertEquals("Serve", toggle.getText().toString());
    toggle.performClick();
    Intent started = shadowOf(RuntimeEnvironment.getApplication()).getNextStartedService();
    assertNotNull("the button starts the service", started);
    assertEquals(ServingService.class.getName(), started.getComponent().getClassName());
    controller.pause().stop().destroy();
  }

  /** Every text shown, once the carrier folders were read off the main thread. */
  private static List<String> texts(View root) throws InterruptedException {
    List<String> found = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      shadowOf(Looper.getMainLooper()).idle();
      found.clear();
      collect(root, found);
      if (found.stream().anyMatch(t -> t.contains(" free in "))) {
        return found;
      }
      Thread.sleep(50);
    }
    return found;
  }

  private static void collect(View v, List<String> out) {
    if (v instanceof TextView && !(v instanceof Button)) {
      out.add(((TextView) v).getText().toString());
    }
    if (v instanceof ViewGroup) {
      for (int i = 0; i < ((ViewGroup) v).getChildCount(); i++) {
        collect(((ViewGroup) v).getChildAt(i), out);
      }
    }
  }

  private static Button button(View v) {
    if (v instanceof Button) {
      return (Button) v;
    }
    if (v instanceof ViewGroup) {
      for (int i = 0; i < ((ViewGroup) v).getChildCount(); i++) {
        Button b = button(((ViewGroup) v).getChildAt(i));
        if (b != null) {
          return b;
        }
      }
    }
    return null;
  }
}
