package dev.carryon.carrier;

import java.nio.file.Path;

/**
 * The session end the crash test cuts, run in a child JVM: {@code CutEndMain CARRIER WORK RESUMED
 * [PASSPHRASE]} (the passphrase of an encrypted carrier).
 * The {@code CARRYON_CUT_*} environment makes it halt at one write point (see WritePoints).
 */
public final class CutEndMain {
  private CutEndMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 3) {
      CarrierKeys.use(carrier -> args[3].toCharArray());
    }
    CommitCrashTest.endSession(Path.of(args[0]), Path.of(args[1]), Long.parseLong(args[2]));
  }
}
