package dev.carryon.launcher.qemu;

import java.nio.file.Path;

/**
 * A child JVM for {@link QemuProcessTest}: starts a tiny QEMU, prints its pid and work folder, then
 * exits normally without closing it ("exit"), waits to be killed ("wait"), or starts it detached
 * and exits ("detach").
 */
public final class QemuHolder {
  public static void main(String[] args) throws Exception {
    QemuLaunch launch = TestQemu.tinyLaunch(Path.of(args[0]));
    QemuProcess qemu =
        args[1].equals("detach") ? QemuProcess.startDetached(launch) : QemuProcess.start(launch);
    System.out.println(qemu.pid() + " " + qemu.workDir());
    System.out.flush();
    if (args[1].equals("wait")) {
      Thread.sleep(60_000);
    }
    System.exit(0);
  }
}
