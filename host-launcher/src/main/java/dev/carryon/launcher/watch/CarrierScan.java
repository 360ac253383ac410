package dev.carryon.launcher.watch;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds carriers on a mounted file system: a folder holding a carrier manifest, at the mount's
 * root or one level down (a drive formatted for carryon, or one with a {@code carrier} folder
 * beside other files). A drive's contents are not trusted: symbolic links are not followed (a link
 * could lead off the drive), dot folders (trash, system folders) are skipped, and at most {@link
 * #MAX_ENTRIES} entries of the root are looked at, so a drive with a million folders cannot hold
 * the watch up.
 */
final class CarrierScan {
  /** Entries of a mount's root looked at, at most. */
  static final int MAX_ENTRIES = 4096;

  private CarrierScan() {}

  /** The carrier folders on the file system mounted at {@code mountPoint}, sorted. */
  static List<Path> carriersOn(Path mountPoint) throws IOException {
    List<Path> found = new ArrayList<>();
    if (holdsCarrier(mountPoint)) {
      found.add(mountPoint);
    }
    int seen = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(mountPoint)) {
      for (Path entry : entries) {
        if (++seen > MAX_ENTRIES) {
          break;
        }
        if (!entry.getFileName().toString().startsWith(".")
            && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)
            && holdsCarrier(entry)) {
          found.add(entry);
        }
      }
    }
    found.sort(null);
    return found;
  }

  private static boolean holdsCarrier(Path folder) {
    return Files.isRegularFile(folder.resolve(CarrierLook.MANIFEST), LinkOption.NOFOLLOW_LINKS);
  }
}
