package dev.carryon.sync.host;

import java.nio.file.Path;

/**
 * The child process of {@link SyncCrashTest}: one sync, cut by {@code CARRYON_CUT_ROOT} and {@code
 * CARRYON_CUT_AT}. Arguments: carrier folder, host image, host id, reset threshold (-1: none).
 */
public final class CutSyncMain {
  private CutSyncMain() {}

  public static void main(String[] args) throws Exception {
    HostSync.sync(Disks.storage(Path.of(args[0])), Path.of(args[1]), args[2], Long.parseLong(args[3]));
  }
}
