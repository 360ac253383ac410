package dev.carryon.launcher.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.carryon.launcher.session.SessionKit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A USB drive as this machine can have one (its kernel has no USB): an ext4 image made from a
 * folder, attached to a loop device with {@code losetup}, "plugged in" by mounting it and "pulled
 * out" by unmounting it. Needs root. {@link #close} always unmounts and detaches.
 */
final class LoopDrive implements AutoCloseable {
  /** The loop device, e.g. /dev/loop3. */
  private final String device;
  /** Where it is mounted when plugged in. */
  private final Path mountPoint;
  private boolean mounted;

  private LoopDrive(String device, Path mountPoint) {
    this.device = device;
    this.mountPoint = mountPoint;
  }

  /** Makes {@code image} holding a copy of {@code contents} and attaches it; not mounted yet. */
  static LoopDrive of(Path contents, Path image, Path mountPoint)
      throws IOException, InterruptedException {
    assertEquals(
        "root", System.getProperty("user.name"),
        "the plug-in tests need root (losetup, mount): run them as root");
    long bytes;
    try (Stream<Path> files = Files.walk(contents)) {
      bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    long mib = bytes / (1 << 20) * 3 / 2 + 256; // room for sessions: a state is ~50 MiB (sparse image)
    SessionKit.tool(
        List.of("mkfs.ext4", "-q", "-F", "-d", contents.toString(), image.toString(), mib + "M"), 0);
    String device =
        SessionKit.tool(List.of("losetup", "--find", "--show", image.toString()), 0).strip();
    Files.createDirectories(mountPoint);
    return new LoopDrive(device, mountPoint);
  }

  Path mountPoint() {
    return mountPoint;
  }

  /** Mounts the drive. */
  void plug() throws IOException, InterruptedException {
    SessionKit.tool(List.of("mount", device, mountPoint.toString()), 0);
    mounted = true;
  }

  /** Unmounts the drive; fails while a process has a file of it open. */
  void unplug() throws IOException, InterruptedException {
    SessionKit.tool(List.of("umount", mountPoint.toString()), 0);
    mounted = false;
  }

  /**
   * Pulls the drive out from under the processes using it: the mount goes away at once (a lazy
   * unmount), files already open stay readable, as a drive's would until its cache runs dry.
   */
  void pull() throws IOException, InterruptedException {
    SessionKit.tool(List.of("umount", "--lazy", mountPoint.toString()), 0);
    mounted = false;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    if (mounted) {
      pull();
    }
    SessionKit.tool(List.of("losetup", "--detach", device), 0);
  }
}
