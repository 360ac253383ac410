package dev.carryon.companion.app;

import android.app.Activity;
import android.content.pm.PackageManager;
import android.os.Build;
import android.os.Bundle;
import android.util.Log;
import android.widget.Button;
import android.widget.LinearLayout;
import android.widget.ScrollView;
import android.widget.TextView;
import dev.carryon.companion.CompanionServer;
import dev.carryon.companion.PhoneCarriers;
import dev.carryon.companion.R;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The app's screen: whether the carriers are served (and a button to start or stop), the space
 * left, and each carrier on the phone with its generation, lease holder and size. Reads carrier
 * folders off the main thread; changes nothing.
 */
public final class CarriersActivity extends Activity {
  private static final String NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS";

  /** Whether and where the carriers are served. */
  private TextView status;

  /** Starts or stops serving. */
  private Button toggle;

  /** The space left for carriers. */
  private TextView space;

  /** One line per carrier. */
  private LinearLayout carriers;

  /** Reads the carrier folders, off the main thread. */
  private ExecutorService reader;

  @Override
  protected void onCreate(Bundle saved) {
    super.onCreate(saved);
    reader = Executors.newSingleThreadExecutor();
    int pad = (int) (16 * getResources().getDisplayMetrics().density);
    LinearLayout page = new LinearLayout(this);
    page.setOrientation(LinearLayout.VERTICAL);
    page.setPadding(pad, pad, pad, pad);
    status = new TextView(this);
    toggle = new Button(this);
    toggle.setOnClickListener(
        v -> {
          if (ServingService.current() != null) {
            ServingService.stop(this);
          } else {
            ServingService.start(this);
          }
        });
    space = new TextView(this);
    carriers = new LinearLayout(this);
    carriers.setOrientation(LinearLayout.VERTICAL);
    page.addView(status);
    page.addView(toggle);
    page.addView(space);
    page.addView(carriers);
    ScrollView scroll = new ScrollView(this);
    scroll.addView(page);
    setContentView(scroll);
  }

  @Override
  protected void onResume() {
    super.onResume();
    ServingService.listen(() -> runOnUiThread(this::refresh));
    if (Build.VERSION.SDK_INT >= 33
        && checkSelfPermission(NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED) {
      requestPermissions(new String[] {NOTIFICATIONS}, 1);
    }
    refresh();
  }

  @Override
  protected void onPause() {
    ServingService.listen(null);
    super.onPause();
  }

  @Override
  protected void onDestroy() {
    reader.shutdownNow();
    super.onDestroy();
  }

  /** Shows the serving state now, and the carriers once read. */
  private void refresh() {
    CompanionServer server = ServingService.current();
    status.setText(
        server == null
            ? getString(R.string.not_serving)
            : getString(R.string.serving_on, server.address().getPort()));
    toggle.setText(server == null ? R.string.start_serving : R.string.stop_serving);
    Path root = CompanionFiles.carriers(this);
    reader.execute(
        () -> {
          try {
            List<PhoneCarriers.Summary> list = PhoneCarriers.list(root);
            long free = PhoneCarriers.freeBytes(root);
            runOnUiThread(() -> show(list, free, root));
          } catch (IOException e) {
            Log.w("carryon", "reading the carriers", e);
            runOnUiThread(() -> space.setText(e.getMessage()));
          }
        });
  }

  private void show(List<PhoneCarriers.Summary> list, long free, Path root) {
    space.setText(getString(R.string.free_space, PhoneCarriers.bytes(free), root));
    carriers.removeAllViews();
    if (list.isEmpty()) {
      TextView none = new TextView(this);
      none.setText(R.string.no_carriers);
      carriers.addView(none);
    }
    for (PhoneCarriers.Summary c : list) {
      TextView line = new TextView(this);
      String detail =
          c.problem() != null
              ? getString(R.string.carrier_unreadable, c.problem())
              : c.generation() == 0
                  ? getString(R.string.carrier_empty, PhoneCarriers.bytes(c.bytes()))
                  : getString(
                  R.string.carrier_line,
                  c.generation(),
                  c.leaseHolder() == null
                      ? getString(R.string.no_lease)
                      : getString(R.string.lease_by, c.leaseHolder()),
                  PhoneCarriers.bytes(c.bytes()));
      line.setText(c.name() + "\n" + detail);
      line.setPadding(0, 24, 0, 0);
      carriers.addView(line);
    }
  }
}
