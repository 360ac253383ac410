package dev.carryon.companion.app;

import android.content.Context;
import dev.carryon.carrier.protocol.Tokens;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the companion keeps its files: in the app's private storage, which no other app can read
 * (a carrier holds a whole machine's disk and memory) and which sits on the phone's main data
 * partition.
 */
final class CompanionFiles {
  private CompanionFiles() {}

  /** The folder holding the carriers, each in a folder of its name. */
  static Path carriers(Context context) {
    return context.getFilesDir().toPath().resolve("carriers");
  }

  /** The token a PC must send; made, random, on first use. */
  static String token(Context context) throws IOException {
    return Tokens.readOrCreate(context.getFilesDir().toPath().resolve("token"));
  }
}
