package dev.carryon.companion;

import dev.carryon.carrier.CarrierFormatException;
import dev.carryon.carrier.Manifest;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.storage.StorageNames;
import dev.carryon.carrier.storage.VersionedManifest;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * What the phone's screen shows of the carriers under the storage root: for each, its current
 * generation, who holds its lease, and the space it takes; and the space left. Read-only: it takes
 * no lock, and a carrier being written shows its last committed state.
 */
public final class PhoneCarriers {
  private PhoneCarriers() {}

  /**
   * One carrier as the screen lists it.
   *
   * @param name its name, also its address {@code BASE/NAME/}
   * @param generation its current generation; 0 when it has no manifest yet (being created)
   * @param leaseHolder the host holding its lease, or null when free
   * @param bytes the bytes its folder takes
   * @param problem why its manifest could not be read, or null
   */
  public record Summary(
      String name, long generation, String leaseHolder, long bytes, String problem) {}

  /** The carriers under {@code root}, by name; empty when the root does not exist yet. */
  public static List<Summary> list(Path root) throws IOException {
    List<Summary> carriers = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return carriers;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
      for (Path p : s) {
        String name = p.getFileName().toString();
        if (Files.isDirectory(p) && StorageNames.problem(name, true) == null) {
          carriers.add(summary(name, p));
        }
      }
    }
    Collections.sort(carriers, (a, b) -> a.name().compareTo(b.name()));
    return carriers;
  }

  /**
   * The names of the carriers under {@code root} that have a manifest (not one being created), in
   * order, joined by commas (a name has none): what the pairing provider tells a PC that asks.
   */
  public static String names(Path root) throws IOException {
    StringBuilder names = new StringBuilder();
    if (!Files.isDirectory(root)) {
      return "";
    }
    List<String> found = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
      for (Path p : s) {
        String name = p.getFileName().toString();
        if (StorageNames.problem(name, true) == null
            && Files.isRegularFile(p.resolve(FolderStorage.MANIFEST))) {
          found.add(name);
        }
      }
    }
    Collections.sort(found);
    for (String name : found) {
      names.append(names.length() == 0 ? "" : ",").append(name);
    }
    return names.toString();
  }

  /** The bytes free for new carriers under {@code root}. */
  public static long freeBytes(Path root) throws IOException {
    Path p = root.toAbsolutePath();
    while (!Files.exists(p) && p.getParent() != null) {
      p = p.getParent();
    }
    return Files.getFileStore(p).getUsableSpace();
  }

  /** {@code n} bytes for people: "812 KiB", "1.4 GiB". */
  public static String bytes(long n) {
    String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    if (u == 0) {
      return n + " bytes";
    }
    return (v >= 100 ? String.format("%.0f", v) : String.format("%.1f", v)) + " " + units[u];
  }

  private static Summary summary(String name, Path folder) throws IOException {
    long bytes = size(folder, 2);
    Optional<VersionedManifest> read = FolderStorage.of(folder).readManifest();
    if (!read.isPresent()) {
      return new Summary(name, 0, null, bytes, null);
    }
    try {
      Manifest m = Manifest.parse(read.get().bytes(), folder.resolve(FolderStorage.MANIFEST).toString());
      String holder = m.lease() == null ? null : m.lease().hostName();
      return new Summary(name, m.currentGeneration(), holder, bytes, null);
    } catch (CarrierFormatException e) {
      return new Summary(name, 0, null, bytes, e.getMessage());
    }
  }

  /** The bytes of the files in {@code folder} and in its folders, {@code depth} levels down. */
  private static long size(Path folder, int depth) throws IOException {
    long total = 0;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
      for (Path p : s) {
        if (Files.isRegularFile(p)) {
          total += Files.size(p);
        } else if (depth > 1 && Files.isDirectory(p)) {
          total += size(p, depth - 1);
        }
      }
    }
    return total;
  }
}
