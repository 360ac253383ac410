package dev.carryon.companion.app;

import android.content.ContentProvider;
import android.content.ContentValues;
import android.database.Cursor;
import android.net.Uri;
import android.os.Binder;
import android.os.Bundle;
import dev.carryon.companion.CompanionServer;
import dev.carryon.companion.PhoneCarriers;
import java.io.IOException;

/**
 * Pairing with a PC: {@code adb shell content call --uri content://dev.carryon.companion.pairing
 * --method token} answers the token, the port served (0 while not serving) and the server's name;
 * {@code --method carriers} the names of the carriers on the phone ({@code names=A,B}), so that a
 * PC's {@code carryon watch} can name them as soon as the phone is plugged in.
 * Only the shell user may ask, that is a PC the user authorised for USB debugging on this phone;
 * any other caller, another app included, is refused and learns nothing. The provider holds no
 * data: query, insert, update and delete answer nothing.
 */
public final class PairingProvider extends ContentProvider {
  /** The shell user's uid (Process.SHELL_UID, public only from API 29). */
  static final int SHELL_UID = 2000;

  /** The token and where it is served. */
  static final String METHOD_TOKEN = "token";

  /** The carriers on the phone. */
  static final String METHOD_CARRIERS = "carriers";

  @Override
  public Bundle call(String method, String arg, Bundle extras) {
    int caller = Binder.getCallingUid();
    if (caller != SHELL_UID) {
      throw new SecurityException(
          "carryon pairing answers the shell user (adb) only; uid " + caller + " was refused");
    }
    Bundle answer = new Bundle();
    if (METHOD_CARRIERS.equals(method)) {
      try {
        answer.putString("names", PhoneCarriers.names(CompanionFiles.carriers(getContext())));
      } catch (IOException e) {
        throw new IllegalStateException("cannot list the carriers: " + e.getMessage(), e);
      }
      return answer;
    }
    if (!METHOD_TOKEN.equals(method)) {
      throw new IllegalArgumentException(
          "carryon pairing has no method '" + method + "' (it has: " + METHOD_TOKEN + ", "
              + METHOD_CARRIERS + ")");
    }
    try {
      answer.putString("token", CompanionFiles.token(getContext()));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read or make the token: " + e.getMessage(), e);
    }
    CompanionServer server = ServingService.current();
    answer.putInt("port", server == null ? 0 : server.address().getPort());
    answer.putString("server", CompanionServer.SERVER);
    return answer;
  }

  @Override
  public boolean onCreate() {
    return true;
  }

  @Override
  public Cursor query(Uri uri, String[] projection, String selection, String[] args, String sort) {
    return null;
  }

  @Override
  public String getType(Uri uri) {
    return null;
  }

  @Override
  public Uri insert(Uri uri, ContentValues values) {
    return null;
  }

  @Override
  public int delete(Uri uri, String selection, String[] args) {
    return 0;
  }

  @Override
  public int update(Uri uri, ContentValues values, String selection, String[] args) {
    return 0;
  }
}
