package dev.carryon.sync.export;

import dev.carryon.sync.ext4.Ext4Filesystem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies a file or a directory tree out of a guest file system, into a host folder or a tar file.
 *
 * <p>The guest path is resolved like {@code lstat}: a symlink named by it is exported as a link.
 * A directory or file lands under its own name (exporting {@code /etc} into {@code out} makes
 * {@code out/etc}); exporting {@code /} copies the root's entries into the target directly.
 * Device nodes, FIFOs and sockets are skipped and listed in the summary; hard links become
 * separate copies.
 */
public final class Exporter implements TreeVisitor {
  /** Where entries are written. */
  private final ExportSink sink;
  /** Told after each file. */
  private final ExportProgress progress;
  /** Counters for the summary. */
  private long files;
  private long directories;
  private long symlinks;
  private long bytes;
  private final List<String> skipped = new ArrayList<>();

  private Exporter(ExportSink sink, ExportProgress progress) {
    this.sink = sink;
    this.progress = progress;
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
    return run(new Ext4Tree(fs), guestPath, topName(guestPath),
        FolderSink.open(hostDir, replaceExisting), ExportProgress.NONE);
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
    return run(new Ext4Tree(fs), guestPath, topName(guestPath),
        TarSink.open(tarFile, replaceExisting), ExportProgress.NONE);
  }

  /** As {@link #toFolder(Ext4Filesystem, String, Path, boolean)}, from a chosen volume. */
  public static ExportSummary toFolder(GuestSource source, Path hostDir, boolean replaceExisting,
      ExportProgress progress) throws IOException {
    return run(source.tree(), source.path(), source.topName(),
        FolderSink.open(hostDir, replaceExisting), progress);
  }

  /** As {@link #toTar(Ext4Filesystem, String, Path, boolean)}, from a chosen volume. */
  public static ExportSummary toTar(GuestSource source, Path tarFile, boolean replaceExisting,
      ExportProgress progress) throws IOException {
    return run(source.tree(), source.path(), source.topName(),
        TarSink.open(tarFile, replaceExisting), progress);
  }

  /** Walks {@code path} of {@code tree} into {@code sink}, naming it {@code top}, and commits. */
  static ExportSummary run(GuestTree tree, String path, List<String> top, ExportSink sink,
      ExportProgress progress) throws IOException {
    try (sink) {
      Exporter exporter = new Exporter(sink, progress);
      tree.walk(path, top, exporter);
      sink.commit();
      return new ExportSummary(exporter.files, exporter.directories, exporter.symlinks,
          exporter.bytes, exporter.skipped);
    }
  }

  /**
   * The name the guest path is exported under: its last real component, or none when it names the
   * root (always a directory), whose entries then go to the target directly.
   */
  static List<String> topName(String guestPath) {
    String last = null;
    for (String part : guestPath.split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        last = part;
      }
    }
    return last == null || last.equals("..") ? List.of() : List.of(last);
  }

  @Override
  public void directory(List<String> path, GuestFile dir) throws IOException {
    sink.directory(path, dir);
    if (!path.isEmpty()) { // the root of an export of "/" is the target itself
      directories++;
    }
  }

  @Override
  public void endDirectory(List<String> path, GuestFile dir) throws IOException {
    sink.endDirectory(path, dir);
  }

  @Override
  public void file(List<String> path, GuestFile file, InputStream data) throws IOException {
    sink.file(path, file, data);
    files++;
    bytes += file.size();
    progress.handled(files, bytes);
  }

  @Override
  public void symlink(List<String> path, GuestFile link, String target) throws IOException {
    sink.symlink(path, link, target);
    symlinks++;
  }

  @Override
  public void skipped(String guestPath, String why) {
    skipped.add(guestPath + ": " + why);
  }
}
