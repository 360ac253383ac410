package dev.carryon.sync.export;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.List;

/**
 * Writes an export into a host folder. Nothing is written outside that folder: every name is
 * checked to be a single plain path component, and no existing symlink is ever followed (a link
 * in the way is replaced when asked, refused otherwise).
 */
final class FolderSink implements ExportSink {
  /** Absolute, normalized target folder. */
  private final Path root;
  /** Whether things in the way are replaced. */
  private final boolean replace;

  private FolderSink(Path root, boolean replace) {
    this.root = root;
    this.replace = replace;
  }

  static FolderSink open(Path hostDir, boolean replace) throws IOException {
    Path root = hostDir.toAbsolutePath().normalize();
    Files.createDirectories(root);
    return new FolderSink(root, replace);
  }

  @Override
  public void directory(List<String> path, GuestFile dir) throws IOException {
    Path p = resolve(path);
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      if (!replace && !path.isEmpty()) {
        throw new FileAlreadyExistsException(p.toString(), null,
            "already exists; export with replacing enabled to write into it");
      }
      return;
    }
    clear(p);
    Files.createDirectory(p);
  }

  @Override
  public void endDirectory(List<String> path, GuestFile dir) throws IOException {
    // Set last: writing the entries changed the time, and read-only bits could have blocked them.
    Path p = resolve(path);
    if (!path.isEmpty()) {
      HostFiles.setMetadata(p, dir);
    }
  }

  @Override
  public void file(List<String> path, GuestFile file, InputStream data) throws IOException {
    Path p = resolve(path);
    clear(p);
    try (FileChannel out = FileChannel.open(p, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      HostFiles.copy(data, out, 0);
    }
    HostFiles.setMetadata(p, file);
  }

  @Override
  public void symlink(List<String> path, GuestFile link, String target) throws IOException {
    Path p = resolve(path);
    clear(p);
    Path to;
    try {
      to = Path.of(target);
    } catch (InvalidPathException e) {
      throw new IOException(p + ": the guest symlink target '" + target + "' is not a valid"
          + " host path", e);
    }
    Files.createSymbolicLink(p, to);
    Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(FileTime.from(link.modified()), null, null);
  }

  @Override
  public void commit() {
    // Files are written in place; there is nothing to publish.
  }

  @Override
  public void close() {
    // Nothing held open between entries.
  }

  /** Makes room at {@code p}: refuses when something is there unless replacing, never a folder. */
  private void clear(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!replace) {
      throw new FileAlreadyExistsException(p.toString(), null,
          "already exists; export with replacing enabled to overwrite it");
    }
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(p.toString(), null,
          "is a directory in the way of a guest file of the same name");
    }
    Files.delete(p); // a symlink is deleted itself, never its target
  }

  private Path resolve(List<String> path) throws IOException {
    return HostFiles.resolve(root, path);
  }
}
