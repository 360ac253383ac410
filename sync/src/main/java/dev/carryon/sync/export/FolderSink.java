package dev.carryon.sync.export;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Writes an export into a host folder. Nothing is written outside that folder: every name is
 * checked to be a single plain path component, and no existing symlink is ever followed (a link
 * in the way is replaced when asked, refused otherwise).
 */
final class FolderSink implements ExportSink {
  /** Chunk copied at a time; an all-zero chunk is left as a hole. */
  private static final int CHUNK = 64 * 1024;
  /** Permission bits in the order of i_mode's 0400 .. 0001. */
  private static final PosixFilePermission[] PERMISSIONS = {
    PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
    PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ,
    PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
    PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
    PosixFilePermission.OTHERS_EXECUTE,
  };

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
      setMetadata(p, dir);
    }
  }

  @Override
  public void file(List<String> path, GuestFile file, InputStream data) throws IOException {
    Path p = resolve(path);
    clear(p);
    try (FileChannel out = FileChannel.open(p, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      byte[] chunk = new byte[CHUNK];
      long at = 0;
      int n;
      while ((n = data.readNBytes(chunk, 0, CHUNK)) > 0) {
        if (!isZero(chunk, n)) {
          ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
          while (b.hasRemaining()) {
            out.write(b, at + b.position());
          }
        }
        at += n;
      }
      if (out.size() < at) {
        out.write(ByteBuffer.allocate(1), at - 1); // a trailing hole still counts in the size
      }
    }
    setMetadata(p, file);
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

  /** The host path of an export-relative path, checked to stay inside {@link #root}. */
  private Path resolve(List<String> path) throws IOException {
    Path p = root;
    for (String name : path) {
      Path next;
      try {
        next = p.resolve(name);
      } catch (InvalidPathException e) {
        throw new IOException("guest name '" + name + "' under " + p + " is not a valid host"
            + " file name", e);
      }
      // One plain component: no separator, no "." or "..", nothing that climbs out of root.
      if (name.isEmpty() || name.equals(".") || name.equals("..") || !p.equals(next.getParent())
          || !next.getFileName().toString().equals(name)) {
        throw new IOException("refusing guest name '" + name + "' under " + p
            + ": not a single plain file name");
      }
      p = next;
    }
    if (!p.startsWith(root)) {
      throw new IOException("refusing to write " + p + ": outside the export folder " + root);
    }
    return p;
  }

  private static void setMetadata(Path p, GuestFile f) throws IOException {
    PosixFileAttributeView posix = Files.getFileAttributeView(p, PosixFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS);
    if (posix != null) {
      Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
      for (int i = 0; i < PERMISSIONS.length; i++) {
        if ((f.permissions() & (0400 >> i)) != 0) {
          perms.add(PERMISSIONS[i]);
        }
      }
      posix.setPermissions(perms);
    }
    Files.setLastModifiedTime(p, FileTime.from(f.modified()));
  }

  private static boolean isZero(byte[] b, int n) {
    for (int i = 0; i < n; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
