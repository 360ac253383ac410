package dev.carryon.sync.export;

import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Keeps a host folder an exact copy of a guest directory, writing only what changed since the
 * last run: new and changed files, renames (moved on the host, not rewritten), permissions,
 * times, symlinks; host entries the guest no longer has are deleted.
 *
 * <p>Whether a file changed: its host copy must still have the size and time the last run left,
 * and the guest file the change stamp the last run saw (ext4: inode, generation and ctime, which
 * no program can set back), as the {@link MirrorRecord} kept by this host says. Otherwise the
 * guest content is compared with the host copy (or, for a file whose inode the record knows
 * under another name, with that one), reading but not writing; only a difference writes.
 * Without stamps (libguestfs) a file with the recorded size and time is taken as unchanged, as
 * rsync does.
 *
 * <p>Crash safety: a file is written under a temporary name in its own folder, forced, given its
 * permissions and time, then renamed over the old one, so no half-written file is ever visible
 * under a guest name. A cut run leaves temporary files, which the next run deletes like any entry
 * the guest lacks, and a stale record, which only costs it comparisons: the next run finishes the
 * mirror without rewriting what the cut run already wrote. The record is saved last.
 */
public final class Mirror implements ExportSink {
  /** Prefix of temporary names; anything so named that the guest lacks is deleted. */
  static final String TEMP_PREFIX = ".carryon-mirror-";

  /** Absolute, normalized mirror folder. */
  private final Path root;
  /** The last run's record. */
  private final MirrorRecord previous;
  /** The record of this run. */
  private final MirrorRecord next;
  /** Where the record is saved. */
  private final Path recordFile;
  /** The previous record's paths by inode identity, for renames. */
  private final Map<String, List<String>> byIdentity;
  /** Export-relative paths of every guest entry seen so far ("a/b"). */
  private final Set<String> seen = new HashSet<>();
  /** Host folders whose entries changed (created, renamed, deleted): forced at the end. */
  private final Set<Path> dirty = new LinkedHashSet<>();
  /** Guest folders met, by export-relative path: their metadata is set again at the end. */
  private final Map<String, GuestFile> folders = new HashMap<>();
  /**
   * Host entries the guest lacks, deleted at the end: until then a file among them may turn out
   * to be the old name of a file renamed elsewhere in the guest, and be moved instead.
   */
  private final List<Path> unseen = new ArrayList<>();
  /** Counters. */
  private long files;
  private long written;
  private long bytesWritten;
  private long renamed;
  private long unchanged;
  private long symlinks;
  private long directories;
  private long deleted;

  private Mirror(Path root, MirrorRecord previous, MirrorRecord next, Path recordFile) {
    this.root = root;
    this.previous = previous;
    this.next = next;
    this.recordFile = recordFile;
    this.byIdentity = previous.byIdentity();
  }

  /**
   * Mirrors the guest directory {@code source} names into {@code hostDir} (created if missing).
   *
   * @param recordFile where this host keeps the record of this mirror (one file per mirror
   *     folder; a lock file beside it keeps two runs apart)
   * @param sourceName what the mirror is made from, e.g. "CARRIER partition 2:/home/me"; a
   *     record of another source is not used
   */
  public static MirrorSummary run(GuestSource source, Path hostDir, Path recordFile,
      String sourceName, ExportProgress progress) throws IOException {
    return run(source.tree(), source.path(), hostDir, recordFile, sourceName, progress);
  }

  static MirrorSummary run(GuestTree tree, String path, Path hostDir, Path recordFile,
      String sourceName, ExportProgress progress) throws IOException {
    Path root = hostDir.toAbsolutePath().normalize();
    OwnerOnly.createDirectories(recordFile.toAbsolutePath().getParent());
    Path lockFile = recordFile.resolveSibling(recordFile.getFileName() + ".lock");
    try (FileChannel lockChannel = OwnerOnly.open(lockFile, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); FileLock lock = lockChannel.tryLock()) {
      if (lock == null) {
        throw new IOException("another mirror run into " + root + " is in progress (it holds "
            + lockFile + ")");
      }
      if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
        if (Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
          throw new IOException(root + " is not a folder; --mirror keeps a folder in step");
        }
        WritePoints.reach(root, "create mirror folder");
        Files.createDirectories(root);
      }
      Mirror m = new Mirror(root, MirrorRecord.load(recordFile, sourceName),
          MirrorRecord.empty(sourceName), recordFile);
      ExportSummary walked = Exporter.run(tree, path, List.of(), m, progress);
      return new MirrorSummary(m.files, m.written, m.bytesWritten, m.renamed, m.unchanged,
          m.symlinks, m.directories, m.deleted, walked.skipped());
    }
  }

  @Override
  public void directory(List<String> path, GuestFile dir) throws IOException {
    Path p = HostFiles.resolve(root, path);
    seen.add(key(path));
    BasicFileAttributes a = lstat(p);
    if (a != null && a.isDirectory()) {
      return;
    }
    if (a != null) {
      remove(p);
    }
    WritePoints.reach(p, "create mirror directory");
    Files.createDirectory(p);
    dirty.add(p.getParent());
    directories++;
  }

  @Override
  public void endDirectory(List<String> path, GuestFile dir) throws IOException {
    Path p = HostFiles.resolve(root, path);
    String prefix = path.isEmpty() ? "" : key(path) + "/";
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(p)) {
      for (Path child : entries) {
        if (!seen.contains(prefix + child.getFileName())) {
          unseen.add(child);
        }
      }
    }
    if (!path.isEmpty()) { // the mirror folder itself is the user's: its mode and time stay
      folders.put(key(path), dir);
      setMetadataIfDifferent(p, dir);
    }
  }

  @Override
  public void file(List<String> path, GuestFile file, InputStream data) throws IOException {
    Path p = target(path, "a file");
    String key = key(path);
    seen.add(key);
    files++;
    BasicFileAttributes a = lstat(p);
    MirrorRecord.Entry old = previous.get(key);
    MirrorRecord.Entry now = new MirrorRecord.Entry(file.size(), file.modified(), file.stamp());
    if (a != null && a.isRegularFile() && a.size() == file.size()
        && a.lastModifiedTime().toInstant().equals(file.modified())
        && (file.stamp() == null ? old == null || old.equals(now) : now.equals(old))) {
      setMetadataIfDifferent(p, file);
      unchanged++;
      next.put(key, now);
      return;
    }
    if (a != null && !a.isRegularFile()) {
      remove(p);
      a = null;
    }
    Path like = a != null && a.size() == file.size() ? p : renamedFrom(key, file);
    if (sameContent(data, like, file, p)) {
      if (!like.equals(p)) {
        WritePoints.reach(p, "rename mirror file");
        Files.move(like, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        dirty.add(p.getParent());
        dirty.add(like.getParent());
        renamed++;
      } else {
        unchanged++;
      }
      setMetadataIfDifferent(p, file);
    }
    next.put(key, now);
  }

  /**
   * Compares the guest content with the host file {@code like}; when it differs (or there is no
   * such file), writes the file at {@code p} from the equal prefix already compared and the rest
   * of the guest stream, and returns false.
   */
  private boolean sameContent(InputStream data, Path like, GuestFile file, Path p)
      throws IOException {
    if (like == null) {
      write(data, null, 0, null, 0, file, p);
      return false;
    }
    byte[] guest = new byte[HostFiles.CHUNK];
    byte[] host = new byte[HostFiles.CHUNK];
    long at = 0;
    try (InputStream in = Files.newInputStream(like, LinkOption.NOFOLLOW_LINKS)) {
      while (true) {
        int n = data.readNBytes(guest, 0, guest.length);
        int m = in.readNBytes(host, 0, n == 0 ? 1 : n);
        if (n == 0 && m == 0) {
          return true;
        }
        if (n != m || !java.util.Arrays.equals(guest, 0, n, host, 0, n)) {
          write(data, like, at, guest, n, file, p);
          return false;
        }
        at += n;
      }
    }
  }

  /**
   * Writes the new content of {@code p} under a temporary name: {@code prefix} bytes copied from
   * {@code like}, then {@code n} bytes of {@code chunk}, then the rest of {@code data}; forced,
   * given its metadata, and renamed over {@code p}.
   */
  private void write(InputStream data, Path like, long prefix, byte[] chunk, int n,
      GuestFile file, Path p) throws IOException {
    Path tmp = p.resolveSibling(TEMP_PREFIX + UUID.randomUUID() + ".tmp");
    WritePoints.reach(tmp, "write mirror file");
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      long at = 0;
      if (prefix > 0) {
        try (InputStream in = Files.newInputStream(like, LinkOption.NOFOLLOW_LINKS)) {
          byte[] b = new byte[HostFiles.CHUNK];
          while (at < prefix) {
            int r = in.readNBytes(b, 0, (int) Math.min(b.length, prefix - at));
            if (r == 0) {
              throw new IOException(like + " shrank while the mirror read it");
            }
            HostFiles.write(out, b, r, at);
            at += r;
          }
        }
      }
      if (n > 0) {
        HostFiles.write(out, chunk, n, at);
        at += n;
      }
      long size = HostFiles.copy(data, out, at);
      if (size != file.size()) {
        throw new IOException("guest file " + p + " gave " + size + " bytes, expected "
            + file.size());
      }
      WritePoints.reach(tmp, "force mirror file");
      out.force(true); // whole on disk before its name replaces the old file
    }
    HostFiles.setMetadata(tmp, file);
    WritePoints.reach(p, "rename mirror file");
    Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    dirty.add(p.getParent());
    written++;
    bytesWritten += file.size();
  }

  /**
   * A host file the last run left under another name that holds this guest file now: same inode
   * (with stamps) or same size and time (without), not yet claimed by this run, still as the
   * record left it.
   */
  private Path renamedFrom(String key, GuestFile file) throws IOException {
    List<String> candidates = new ArrayList<>();
    String id = MirrorRecord.identity(file.stamp());
    if (id != null) {
      candidates.addAll(byIdentity.getOrDefault(id, List.of()));
    } else {
      for (Map.Entry<String, MirrorRecord.Entry> e : previous.entries()) {
        if (e.getValue().size() == file.size() && e.getValue().modified().equals(file.modified())) {
          candidates.add(e.getKey());
        }
      }
    }
    for (String other : candidates) {
      MirrorRecord.Entry was = previous.get(other);
      if (other.equals(key) || seen.contains(other) || was.size() != file.size()) {
        continue;
      }
      Path q = HostFiles.resolve(root, List.of(other.split("/")));
      BasicFileAttributes a = lstat(q);
      if (a != null && a.isRegularFile() && a.size() == was.size()
          && a.lastModifiedTime().toInstant().equals(was.modified())) {
        return q;
      }
    }
    return null;
  }

  @Override
  public void symlink(List<String> path, GuestFile link, String target) throws IOException {
    Path p = target(path, "a symbolic link");
    seen.add(key(path));
    BasicFileAttributes a = lstat(p);
    if (a != null && a.isSymbolicLink() && Files.readSymbolicLink(p).toString().equals(target)) {
      return;
    }
    if (a != null && a.isDirectory()) {
      remove(p);
    }
    Path tmp = p.resolveSibling(TEMP_PREFIX + UUID.randomUUID() + ".tmp");
    WritePoints.reach(tmp, "create mirror symlink");
    Files.createSymbolicLink(tmp, Path.of(target));
    WritePoints.reach(p, "rename mirror symlink");
    Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    dirty.add(p.getParent());
    symlinks++;
  }

  /**
   * Deletes what the guest lacks, sets again the times of folders whose entries changed after
   * they were ended, forces every changed folder, and saves the record last.
   */
  @Override
  public void commit() throws IOException {
    for (Path p : unseen) {
      if (!seen.contains(key(root.relativize(p))) && lstat(p) != null) {
        remove(p);
      }
    }
    for (Path dir : dirty) {
      GuestFile meta = dir.equals(root) ? null : folders.get(key(root.relativize(dir)));
      if (meta != null) {
        setMetadataIfDifferent(dir, meta);
      }
      forceFolder(dir);
    }
    next.save(recordFile);
  }

  @Override
  public void close() {
    // Every file is closed as it is written.
  }

  /** Forces a folder's entries (names created, renamed, deleted) to disk. */
  static void forceFolder(Path dir) throws IOException {
    WritePoints.reach(dir, "force folder");
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** The host path for a file or symlink; the mirror's top must be a directory. */
  private Path target(List<String> path, String what) throws IOException {
    if (path.isEmpty()) {
      throw new IOException("the guest path is " + what + ", not a directory: --mirror keeps a"
          + " host folder in step with a guest directory");
    }
    return HostFiles.resolve(root, path);
  }

  /**
   * Removes a host entry the guest no longer has: a file, a symlink, or a whole folder (which
   * counts once).
   */
  private void remove(Path p) throws IOException {
    removeTree(p);
    dirty.add(p.getParent());
    deleted++;
  }

  private static void removeTree(Path p) throws IOException {
    BasicFileAttributes a = lstat(p);
    if (a != null && a.isDirectory()) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(p)) {
        for (Path child : entries) {
          removeTree(child);
        }
      }
    }
    WritePoints.reach(p, "delete from mirror");
    Files.deleteIfExists(p);
  }

  private void setMetadataIfDifferent(Path p, GuestFile f) throws IOException {
    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class,
        LinkOption.NOFOLLOW_LINKS);
    if (!a.permissions().equals(HostFiles.permissions(f))
        || !a.lastModifiedTime().equals(FileTime.from(f.modified()))) {
      WritePoints.reach(p, "set mirror metadata");
      HostFiles.setMetadata(p, f);
    }
  }

  private static BasicFileAttributes lstat(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  private static String key(List<String> path) {
    return String.join("/", path);
  }

  private static String key(Path relative) {
    return relative.toString();
  }

}
