package dev.carryon.launcher.qemu;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The QEMU processes of this JVM that must not outlive it. One shutdown hook (run on normal exit
 * and on SIGINT/SIGTERM) stops them all cleanly.
 */
final class LiveQemus {
  private static final Set<QemuProcess> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(LiveQemus::closeAll, "carryon-qemu-shutdown"));
  }

  private LiveQemus() {}

  static void add(QemuProcess qemu) {
    LIVE.add(qemu);
  }

  static void remove(QemuProcess qemu) {
    LIVE.remove(qemu);
  }

  private static void closeAll() {
    for (QemuProcess qemu : LIVE) {
      qemu.close();
    }
  }
}
