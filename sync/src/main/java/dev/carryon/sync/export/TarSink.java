package dev.carryon.sync.export;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes an export as a POSIX tar: pax headers carry long names, long link targets, non-ASCII
 * names and big numbers. The archive is written to a temporary file beside the target and moved
 * into place by {@link #commit()}, so a failed export leaves no half tar behind.
 */
final class TarSink implements ExportSink {
  /** i_mode type bits written with each entry's permissions, as tar(5) expects. */
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFLNK = 0120000;

  /** Final name of the archive. */
  private final Path target;
  /** Whether an existing archive is replaced. */
  private final boolean replace;
  /** The archive while it is written. */
  private final Path partial;
  /** The tar writer over {@link #partial}. */
  private final TarArchiveOutputStream tar;
  /** Whether {@link #commit()} moved the archive into place. */
  private boolean committed;

  private TarSink(Path target, boolean replace, Path partial, TarArchiveOutputStream tar) {
    this.target = target;
    this.replace = replace;
    this.partial = partial;
    this.tar = tar;
  }

  static TarSink open(Path tarFile, boolean replace) throws IOException {
    Path target = tarFile.toAbsolutePath().normalize();
    refuseExisting(target, replace);
    Path partial = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
    TarArchiveOutputStream tar =
        new TarArchiveOutputStream(new BufferedOutputStream(Files.newOutputStream(partial)));
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
    return new TarSink(target, replace, partial, tar);
  }

  @Override
  public void directory(List<String> path, GuestFile dir) throws IOException {
    if (!path.isEmpty()) {
      put(new TarArchiveEntry(String.join("/", path) + "/"), dir, S_IFDIR);
      tar.closeArchiveEntry();
    }
  }

  @Override
  public void endDirectory(List<String> path, GuestFile dir) {
    // A tar entry carries its metadata up front.
  }

  @Override
  public void file(List<String> path, GuestFile file, InputStream data) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(String.join("/", path));
    e.setSize(file.size());
    put(e, file, S_IFREG);
    long copied = data.transferTo(tar);
    if (copied != file.size()) {
      throw new IOException("guest file " + String.join("/", path) + " gave " + copied
          + " bytes, expected " + file.size());
    }
    tar.closeArchiveEntry();
  }

  @Override
  public void symlink(List<String> path, GuestFile link, String linkTarget) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(String.join("/", path), TarConstants.LF_SYMLINK);
    e.setLinkName(linkTarget);
    put(e, link, S_IFLNK);
    tar.closeArchiveEntry();
  }

  private void put(TarArchiveEntry e, GuestFile f, int type) throws IOException {
    e.setMode(type | f.permissions());
    e.setLastModifiedTime(FileTime.from(f.modified()));
    e.setUserId(f.uid());
    e.setGroupId(f.gid());
    tar.putArchiveEntry(e);
  }

  @Override
  public void commit() throws IOException {
    tar.finish();
    tar.close();
    refuseExisting(target, replace);
    if (replace) {
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } else {
      Files.move(partial, target); // fails if the target appeared meanwhile
    }
    committed = true;
  }

  @Override
  public void close() throws IOException {
    if (!committed) {
      try {
        tar.close();
      } finally {
        Files.deleteIfExists(partial);
      }
    }
  }

  private static void refuseExisting(Path target, boolean replace) throws IOException {
    if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(target.toString(), null,
          "already exists; export with replacing enabled to overwrite it");
    }
  }
}
