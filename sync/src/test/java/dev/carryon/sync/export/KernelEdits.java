package dev.carryon.sync.export;

import dev.carryon.sync.ext4.E2fs;
import dev.carryon.testdata.AsRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Changes a file system image the way a guest does: mounted through a loop device and edited by shell
 * commands, so that Linux's own ext4 sets inode generations, nanosecond change times and links as
 * in a real guest. Needs root (or sudo without a password); always unmounts and detaches.
 */
final class KernelEdits {
  private KernelEdits() {}

  /** Runs {@code script} with sh, in the root of the ext4 file system on {@code image}. */
  static void edit(Path image, String script) throws IOException {
    edit(image, "ext4", script);
  }

  /** Runs {@code script} with sh, in the root of the {@code type} file system on {@code image}. */
  static void edit(Path image, String type, String script) throws IOException {
    Path mnt = Files.createTempDirectory("carryon-mnt");
    String loop = run(AsRoot.command("losetup", "--show", "-f", image.toString())).strip();
    try {
      run(AsRoot.command("mount", "-t", type, loop, mnt.toString()));
      try {
        run(AsRoot.command("sh", "-euc", "cd \"$0\"\n" + script, mnt.toString()));
      } finally {
        run(AsRoot.command("umount", mnt.toString()));
      }
    } finally {
      run(AsRoot.command("losetup", "-d", loop));
      Files.delete(mnt);
    }
  }

  private static String run(List<String> cmd) throws IOException {
    return E2fs.run(cmd);
  }
}
