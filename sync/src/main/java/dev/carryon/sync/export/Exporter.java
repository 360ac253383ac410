package dev.carryon.sync.export;

import dev.carryon.sync.ext4.Ext4Entry;
import dev.carryon.sync.ext4.Ext4File;
import dev.carryon.sync.ext4.Ext4Filesystem;
import dev.carryon.sync.ext4.FileType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Copies a file or a directory tree out of a guest filesystem, into a host folder or a tar file.
 *
 * <p>The guest path is resolved like {@code lstat}: a symlink named by it is exported as a link.
 * A directory or file lands under its own name (exporting {@code /etc} into {@code out} makes
 * {@code out/etc}); exporting {@code /} copies the root's entries into the target directly.
 * Device nodes, FIFOs and sockets are skipped and listed in the summary; hard links become
 * separate copies.
 */
public final class Exporter {
  /** Where entries are read. */
  private final Ext4Filesystem fs;
  /** Where they are written. */
  private final ExportSink sink;
  /** Inode numbers of the directories being walked: a repeat means the tree loops. */
  private final Set<Long> openDirs = new HashSet<>();
  /** Inode numbers of every directory exported so far. */
  private final Set<Long> exportedDirs = new HashSet<>();
  /** Counters for the summary. */
  private long files;
  private long directories;
  private long symlinks;
  private long bytes;
  private final List<String> skipped = new ArrayList<>();

  private Exporter(Ext4Filesystem fs, ExportSink sink) {
    this.fs = fs;
    this.sink = sink;
  }

  /** Exports {@code guestPath} into {@code hostDir}, refusing to replace anything there. */
  public static ExportSummary toFolder(Ext4Filesystem fs, String guestPath, Path hostDir)
      throws IOException {
    return toFolder(fs, guestPath, hostDir, false);
  }

  /**
   * Exports {@code guestPath} into {@code hostDir} (created if missing), keeping names, content,
   * modification times, permission bits (without set-ID and sticky bits) and symlinks.
   *
   * @param replaceExisting replace files and symlinks that are in the way, and write into
   *     existing directories; when false, any existing path in the way is an error
   */
  public static ExportSummary toFolder(
      Ext4Filesystem fs, String guestPath, Path hostDir, boolean replaceExisting)
      throws IOException {
    return run(fs, guestPath, FolderSink.open(hostDir, replaceExisting));
  }

  /** Exports {@code guestPath} into a new tar file, refusing to replace an existing one. */
  public static ExportSummary toTar(Ext4Filesystem fs, String guestPath, Path tarFile)
      throws IOException {
    return toTar(fs, guestPath, tarFile, false);
  }

  /**
   * Exports {@code guestPath} into a POSIX (pax) tar file keeping names of any length, content,
   * mode, numeric owner, modification time and symlinks. The tar is written under a temporary
   * name and renamed into place once complete.
   *
   * @param replaceExisting replace {@code tarFile} if it exists
   */
  public static ExportSummary toTar(
      Ext4Filesystem fs, String guestPath, Path tarFile, boolean replaceExisting)
      throws IOException {
    return run(fs, guestPath, TarSink.open(tarFile, replaceExisting));
  }

  private static ExportSummary run(Ext4Filesystem fs, String guestPath, ExportSink sink)
      throws IOException {
    try (sink) {
      Ext4File top = fs.lookupNoFollow(guestPath);
      String name = topName(guestPath);
      Exporter exporter = new Exporter(fs, sink);
      List<String> path = new ArrayList<>();
      if (name != null) {
        path.add(name);
      } else if (top.type() != FileType.DIRECTORY) {
        throw new IOException(fs.name() + ": " + guestPath + " has no name to export it under");
      }
      exporter.export(path, guestPath, top);
      sink.commit();
      return exporter.summary();
    }
  }

  /** The last real component of the guest path, or null when it names the root. */
  private static String topName(String guestPath) {
    String last = null;
    for (String part : guestPath.split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        last = part;
      }
    }
    return last == null || last.equals("..") ? null : last;
  }

  private void export(List<String> path, String guestPath, Ext4File file) throws IOException {
    switch (file.type()) {
      case DIRECTORY:
        if (!openDirs.add(file.number())) {
          throw fs.corrupt(guestPath + " (inode " + file.number()
              + ") contains itself: the directory tree loops");
        }
        // A directory has one parent; one reached twice would be exported again for every path to
        // it (a crafted tree of 30 levels, each naming the next twice, is a billion copies).
        if (!exportedDirs.add(file.number())) {
          throw fs.corrupt(guestPath + " (inode " + file.number()
              + ") is a directory already exported under another name: the directory tree is damaged");
        }
        sink.directory(path, file);
        if (!path.isEmpty()) { // the root of an export of "/" is the target itself
          directories++;
        }
        for (Ext4Entry entry : fs.list(file)) {
          path.add(entry.name());
          export(path, child(guestPath, entry.name()), entry.file());
          path.remove(path.size() - 1);
        }
        sink.endDirectory(path, file);
        openDirs.remove(file.number());
        break;
      case REGULAR:
        try (InputStream in = fs.open(file)) {
          sink.file(path, file, in);
        }
        files++;
        bytes += file.size();
        break;
      case SYMLINK:
        sink.symlink(path, file, fs.readLink(file));
        symlinks++;
        break;
      default:
        String type = file.type().toString().toLowerCase(Locale.ROOT).replace('_', ' ');
        skipped.add(guestPath + ": " + type + " skipped");
    }
  }

  private static String child(String dir, String name) {
    return dir.endsWith("/") ? dir + name : dir + "/" + name;
  }

  private ExportSummary summary() {
    return new ExportSummary(files, directories, symlinks, bytes, skipped);
  }
}
