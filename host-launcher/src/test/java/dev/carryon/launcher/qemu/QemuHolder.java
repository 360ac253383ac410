package dev.carryon.launcher.qemu;

import java.nio.file.Path;

/**
 * A child JVM for {@link QemuProcessTest}: starts a tiny QEMU, prints its pid, then either exits
 * normally without closing it ("exit") or waits to be killed ("wait").
 */
public final class QemuHolder {
  public static void main(String[] args) throws Exception {
    QemuProcess qemu = QemuProcess.start(TestQemu.tinyLaunch(Path.of(args[0])));
    System.out.println(qemu.pid());
    System.out.flush();
    if (args[1].equals("wait")) {
      Thread.sleep(60_000);
    }
    System.exit(0);
  }
}
