package dev.carryon.sync.export;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What the folder writers share: guest names turned into host paths that cannot leave the target
 * folder, file contents written with their holes, and the metadata an export keeps.
 */
final class HostFiles {
  /** Chunk copied at a time; an all-zero chunk is left as a hole. */
  static final int CHUNK = 64 * 1024;
  /** Permission bits in the order of i_mode's 0400 .. 0001. */
  private static final PosixFilePermission[] PERMISSIONS = {
    PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
    PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ,
    PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
    PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
    PosixFilePermission.OTHERS_EXECUTE,
  };

  private HostFiles() {}

  /** The host path of an export-relative path, checked to stay inside {@code root}. */
  static Path resolve(Path root, List<String> path) throws IOException {
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

  /**
   * Writes {@code data} from {@code at} to its end into {@code out}, leaving all-zero chunks as
   * holes; returns the file's size.
   */
  static long copy(InputStream data, FileChannel out, long at) throws IOException {
    byte[] chunk = new byte[CHUNK];
    int n;
    long end = at;
    while ((n = data.readNBytes(chunk, 0, CHUNK)) > 0) {
      write(out, chunk, n, end);
      end += n;
    }
    finish(out, end);
    return end;
  }

  /** Writes {@code n} bytes of {@code chunk} at {@code at}, unless they are all zero. */
  static void write(FileChannel out, byte[] chunk, int n, long at) throws IOException {
    if (!isZero(chunk, n)) {
      ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
      while (b.hasRemaining()) {
        out.write(b, at + b.position());
      }
    }
  }

  /** Gives the file its full size when it ends in a hole. */
  static void finish(FileChannel out, long size) throws IOException {
    if (out.size() < size) {
      out.write(ByteBuffer.allocate(1), size - 1); // a trailing hole still counts in the size
    }
  }

  /** Sets permission bits (without set-ID and sticky bits) and the modification time. */
  static void setMetadata(Path p, GuestFile f) throws IOException {
    PosixFileAttributeView posix = Files.getFileAttributeView(p, PosixFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS);
    if (posix != null) {
      posix.setPermissions(permissions(f));
    }
    Files.setLastModifiedTime(p, FileTime.from(f.modified()));
  }

  /** The host permissions for a guest file's mode. */
  static Set<PosixFilePermission> permissions(GuestFile f) {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    for (int i = 0; i < PERMISSIONS.length; i++) {
      if ((f.permissions() & (0400 >> i)) != 0) {
        perms.add(PERMISSIONS[i]);
      }
    }
    return perms;
  }

  static boolean isZero(byte[] b, int n) {
    for (int i = 0; i < n; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
