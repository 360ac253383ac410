package dev.carryon.companion.app;

import android.app.Notification;
import android.app.NotificationChannel;
import android.app.NotificationManager;
import android.app.PendingIntent;
import android.app.Service;
import android.content.Context;
import android.content.Intent;
import android.graphics.drawable.Icon;
import android.os.IBinder;
import android.util.Log;
import dev.carryon.companion.CompanionServer;
import dev.carryon.companion.R;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Serves the phone's carriers on 127.0.0.1 while a PC uses them through {@code adb forward}: a
 * foreground service, so that Android keeps it running while the user is in other apps, with a
 * notification saying so and a button to stop. Started by the app's screen, or from the PC with
 * {@code adb shell am start-foreground-service -n dev.carryon.companion/.app.ServingService}.
 */
public final class ServingService extends Service {
  /** The intent action that stops serving (the notification's button, the screen's). */
  static final String ACTION_STOP = "dev.carryon.companion.action.STOP";

  private static final String TAG = "carryon";
  private static final String CHANNEL = "serving";
  private static final int NOTIFICATION = 1;

  /** The server while this service serves, for the screen and the pairing provider. */
  private static volatile CompanionServer current;

  /** Told, on the main thread, when serving starts or stops (the screen while shown). */
  private static volatile Runnable listener;

  /** The server while serving, or null. */
  static CompanionServer current() {
    return current;
  }

  /** Sets (or, with null, clears) the one listener told when serving starts or stops. */
  static void listen(Runnable r) {
    listener = r;
  }

  /** Starts serving (the service starts itself as a foreground service). */
  static void start(Context context) {
    context.startForegroundService(new Intent(context, ServingService.class));
  }

  /** Stops serving. */
  static void stop(Context context) {
    context.stopService(new Intent(context, ServingService.class));
  }

  @Override
  public int onStartCommand(Intent intent, int flags, int startId) {
    if (intent != null && ACTION_STOP.equals(intent.getAction())) {
      // Android insists a service started for the foreground goes there, even just to stop.
      startForeground(NOTIFICATION, notification(getString(R.string.not_serving)));
      stopSelf();
      return START_NOT_STICKY;
    }
    if (current == null) {
      try {
        current =
            CompanionServer.start(
                CompanionFiles.carriers(this),
                CompanionFiles.token(this),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Log.i(TAG, "serving " + current.root() + " at " + current.url());
      } catch (IOException e) {
        Log.e(TAG, "cannot serve the carriers", e);
        startForeground(NOTIFICATION, notification(e.getMessage()));
        stopSelf();
        return START_NOT_STICKY;
      }
    }
    startForeground(
        NOTIFICATION,
        notification(getString(R.string.serving_text, current.address().getPort())));
    tell();
    return START_NOT_STICKY;
  }

  @Override
  public void onDestroy() {
    CompanionServer s = current;
    current = null;
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        Log.w(TAG, "stopping the server", e);
      }
    }
    tell();
    super.onDestroy();
  }

  @Override
  public IBinder onBind(Intent intent) {
    return null;
  }

  private Notification notification(String text) {
    NotificationManager manager = getSystemService(NotificationManager.class);
    NotificationChannel channel =
        new NotificationChannel(
            CHANNEL, getString(R.string.channel_name), NotificationManager.IMPORTANCE_LOW);
    channel.setDescription(getString(R.string.channel_description));
    manager.createNotificationChannel(channel);
    PendingIntent open =
        PendingIntent.getActivity(
            this, 0, new Intent(this, CarriersActivity.class), PendingIntent.FLAG_IMMUTABLE);
    PendingIntent stop =
        PendingIntent.getService(
            this,
            1,
            new Intent(this, ServingService.class).setAction(ACTION_STOP),
            PendingIntent.FLAG_IMMUTABLE);
    return new Notification.Builder(this, CHANNEL)
        .setSmallIcon(R.drawable.ic_serving)
        .setContentTitle(getString(R.string.serving_title))
        .setContentText(text)
        .setOngoing(true)
        .setContentIntent(open)
        .addAction(
            new Notification.Action.Builder(
                    Icon.createWithResource(this, android.R.drawable.ic_menu_close_clear_cancel),
                    getString(R.string.stop_serving),
                    stop)
                .build())
        .build();
  }

  private static void tell() {
    Runnable r = listener;
    if (r != null) {
      r.run();
    }
  }
}
