package dev.carryon.launcher.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.HostIdentity;
import dev.carryon.launcher.cli.CliRun;
import dev.carryon.launcher.session.SessionKit;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/** Carriers of a 1 MiB raw disk, for watch tests that never boot them. */
final class SmallCarriers {
  private SmallCarriers() {}

  /** Makes a free carrier at {@code folder}. */
  static Path free(Path folder) throws IOException {
    Path disk = Files.createTempFile(folder.getParent(), "disk", ".raw");
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(1 << 20);
    }
    CliRun init = CliRun.of("init", folder.toString(), "--image", disk.toString(), "--memory", "64M");
    assertEquals(0, init.exitCode(), init::err);
    Files.delete(disk);
    return folder;
  }

  /** Makes a carrier at {@code folder} whose lease a session of host {@code hostName} holds. */
  static Path leasedBy(Path folder, String hostName) throws IOException {
    free(folder);
    try (Carrier c = SessionKit.openForWrite(folder)) {
      c.takeLease(new HostIdentity("id-of-" + hostName, hostName), "session-on-" + hostName);
    }
    return folder;
  }
}
