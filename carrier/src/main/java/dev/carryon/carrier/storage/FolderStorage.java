package dev.carryon.carrier.storage;

import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A carrier in a local folder: a mounted USB drive, any directory, or the folder a carrier server
 * serves. Every change passes a {@link WritePoints} point first, so crash tests can cut the process
 * at each. The write lock is an operating-system lock on {@value #LOCK_FILE}, released by the
 * system when the holder dies, so a cut never leaves it held. Files and folders it creates are
 * its owner's alone (0600, 0700) where the file system has POSIX modes: a carrier holds a whole
 * session's disk and RAM. Uses only APIs an Android 8 phone has (the companion app serves carriers
 * with it).
 */
public final class FolderStorage implements CarrierStorage {
  /** The committed manifest. */
  public static final String MANIFEST = "carryon.json";

  /** The next manifest while it is written; renamed over {@link #MANIFEST} to commit. */
  public static final String MANIFEST_NEW = "tmp/carryon.json.new";

  /** Locked by the one process that may write the carrier; holds its owner's words, nothing else. */
  public static final String LOCK_FILE = "carryon.lock";

  /** Mode of every file created: the owner's only. */
  private static final FileAttribute<?> PRIVATE_FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  /** Mode of every folder created: the owner's only. */
  private static final FileAttribute<?> PRIVATE_FOLDER =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  /** The carrier folder, absolute and normalized. */
  private final Path folder;

  /** Whether the folder's file system has POSIX modes (FAT and exFAT drives have none); lazy. */
  private Boolean posix;

  private FolderStorage(Path folder) {
    this.folder = folder;
  }

  /** The storage of the carrier folder {@code folder}, which need not exist yet. */
  public static FolderStorage of(Path folder) {
    return new FolderStorage(folder.toAbsolutePath().normalize());
  }

  /** The carrier folder, absolute. */
  public Path folder() {
    return folder;
  }

  @Override
  public String location() {
    return folder.toString();
  }

  @Override
  public List<StoredFile> list(String dir) throws IOException {
    Path d = folderPath(dir);
    if (!Files.isDirectory(d)) {
      return Collections.emptyList();
    }
    List<StoredFile> files = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
      for (Path p : s) {
        String name = p.getFileName().toString();
        String full = dir.isEmpty() ? name : dir + "/" + name;
        OptionalLong size = sizeOf(p);
        if (size.isPresent() && StorageNames.problem(full, false) == null) {
          files.add(new StoredFile(full, size.getAsLong()));
        }
      }
    }
    files.sort(Comparator.comparing(StoredFile::name));
    return files;
  }

  @Override
  public OptionalLong size(String name) throws IOException {
    return sizeOf(file(name));
  }

  @Override
  public int read(String name, long offset, ByteBuffer dst) throws IOException {
    try (FileChannel ch = FileChannel.open(file(name), StandardOpenOption.READ)) {
      return ch.read(dst, offset);
    }
  }

  @Override
  public InputStream openRead(String name, long offset) throws IOException {
    FileChannel ch = FileChannel.open(file(name), StandardOpenOption.READ);
    try {
      ch.position(offset);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return Channels.newInputStream(ch);
  }

  @Override
  public void write(String name, long offset, ByteBuffer src) throws IOException {
    Path p = file(name);
    WritePoints.reach(p, "write " + src.remaining() + " bytes at " + offset + " of");
    boolean large = src.remaining() >= WriteBehind.EVERY;
    try (FileChannel ch = openForWrite(p)) {
      long at = offset;
      while (src.hasRemaining()) {
        at += ch.write(src, at);
      }
    } catch (IOException e) {
      throw named(p, e);
    }
    if (large) {
      WriteBehind.flush(p); // a piece of a large file, its force to come (a server's PUT)
    }
  }

  @Override
  public OutputStream openWrite(String name, long offset) throws IOException {
    Path p = file(name);
    FileChannel ch = openForWrite(p);
    return new OutputStream() {
      /** Where the next byte goes. */
      private long at = offset;
      /** Where the last flush started ({@link WriteBehind}) found the file written up to. */
      private long flushedTo = offset;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int off, int len) throws IOException {
        WritePoints.reach(p, "write " + len + " bytes at " + at + " of");
        ByteBuffer src = ByteBuffer.wrap(bytes, off, len);
        try {
          while (src.hasRemaining()) {
            at += ch.write(src, at);
          }
        } catch (IOException e) {
          throw named(p, e);
        }
        if (at - flushedTo >= WriteBehind.EVERY) {
          WriteBehind.flush(p);
          flushedTo = at;
        }
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  @Override
  public void truncate(String name, long size) throws IOException {
    Path p = file(name);
    WritePoints.reach(p, "truncate to " + size + ":");
    try (FileChannel ch = openForWrite(p)) {
      if (size < ch.size()) {
        ch.truncate(size);
      } else if (size > ch.size()) {
        ch.write(ByteBuffer.allocate(1), size - 1);
      }
    } catch (IOException e) {
      throw named(p, e);
    }
  }

  @Override
  public void force(String name) throws IOException {
    Path p = file(name);
    WritePoints.reach(p, "force");
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
      ch.force(true);
    } catch (IOException e) {
      throw named(p, e);
    }
  }

  @Override
  public void makeFolder(String dir) throws IOException {
    Path d = folderPath(dir);
    if (!Files.isDirectory(d)) {
      WritePoints.reach(d, "create folder");
      if (isPosix()) {
        Files.createDirectories(d, PRIVATE_FOLDER);
      } else {
        Files.createDirectories(d);
      }
    }
  }

  @Override
  public void forceFolder(String dir) throws IOException {
    Path d = folderPath(dir);
    WritePoints.reach(d, "fsync folder");
    // Opening a folder for reading and forcing it is an fsync of the directory on Linux; without
    // it a rename can be lost in a power cut even though the file's data was forced.
    try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  @Override
  public void rename(String from, String to) throws IOException {
    Path source = file(from);
    Path target = file(to);
    WritePoints.reach(target, "rename " + from + " to");
    Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public boolean link(String from, String to) throws IOException {
    Path source = file(from);
    Path target = file(to);
    WritePoints.reach(target, "link " + from + " as");
    try {
      Files.createLink(target, source);
      return true;
    } catch (UnsupportedOperationException | FileSystemException e) {
      if (e instanceof NoSuchFileException) {
        throw (NoSuchFileException) e;
      }
      return false;
    }
  }

  @Override
  public void delete(String name) throws IOException {
    Path p = file(name);
    WritePoints.reach(p, "delete");
    Files.deleteIfExists(p);
  }

  @Override
  public Digest hash(String name, long length) throws IOException {
    try (InputStream in = Files.newInputStream(file(name))) {
      return Digest.of(in, length, file(name).toString());
    }
  }

  @Override
  public StorageLock lock(String owner) throws IOException {
    Path p = folder.resolve(LOCK_FILE);
    FileChannel ch =
        open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock held;
    try {
      held = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      held = null;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    if (held == null) {
      String holder = readOwner(ch);
      ch.close();
      throw new StorageLockedException(location(), holder);
    }
    FileLock lock = held;
    // Not forced, no write point: the owner's words only help a refused user, and nothing depends
    // on them surviving a cut (the OS lock is what excludes).
    ch.truncate(0);
    ch.write(ByteBuffer.wrap(owner.getBytes(StandardCharsets.UTF_8)), 0);
    return new StorageLock() {
      /** Set once released. */
      private boolean released;

      @Override
      public void close() throws IOException {
        if (released) {
          return;
        }
        released = true;
        try (ch) {
          lock.release();
        }
      }
    };
  }

  @Override
  public Optional<VersionedManifest> readManifest() throws IOException {
    Path p = folder.resolve(MANIFEST);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(p);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return Optional.of(new VersionedManifest(bytes, Hex.sha256(bytes)));
  }

  /**
   * Writes the new manifest whole to {@value #MANIFEST_NEW} and forces it, renames it over
   * {@value #MANIFEST} in one step, and forces the folder so the rename survives a power cut. The
   * version is checked first; the caller holds the lock, so nobody commits in between.
   */
  @Override
  public String replaceManifest(byte[] bytes, String expectedVersion) throws IOException {
    Optional<VersionedManifest> now = readManifest();
    String found = now.map(VersionedManifest::version).orElse(null);
    if (expectedVersion == null ? found != null : !expectedVersion.equals(found)) {
      throw new ManifestChangedException(location(), expectedVersion, found);
    }
    makeFolder(MANIFEST_NEW.substring(0, MANIFEST_NEW.indexOf('/')));
    Path temp = folder.resolve(MANIFEST_NEW);
    WritePoints.reach(temp, "create");
    try (FileChannel ch =
        open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      WritePoints.reach(temp, "write");
      ByteBuffer src = ByteBuffer.wrap(bytes);
      while (src.hasRemaining()) {
        ch.write(src);
      }
      WritePoints.reach(temp, "force");
      ch.force(true);
    } catch (IOException e) {
      throw named(temp, e);
    }
    Path target = folder.resolve(MANIFEST);
    WritePoints.reach(target, "rename " + MANIFEST_NEW + " to");
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    forceFolder("");
    return Hex.sha256(bytes);
  }

  @Override
  public Optional<Path> localFile(String name) {
    return Optional.of(file(name));
  }

  @Override
  public void close() {
    // Nothing held: every operation opens and closes its own channel.
  }

  private Path file(String name) {
    return folder.resolve(StorageNames.check(name));
  }

  private Path folderPath(String dir) {
    return dir.isEmpty() ? folder : folder.resolve(StorageNames.checkFolder(dir));
  }

  private FileChannel openForWrite(Path p) throws IOException {
    return open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
  }

  /** Opens {@code p}; a file this creates is private where the file system has modes. */
  private FileChannel open(Path p, StandardOpenOption... options) throws IOException {
    Set<StandardOpenOption> set = new HashSet<>(Arrays.asList(options));
    return isPosix() ? FileChannel.open(p, set, PRIVATE_FILE) : FileChannel.open(p, set);
  }

  private boolean isPosix() throws IOException {
    if (posix == null) {
      Path probe = folder;
      while (probe != null && !Files.exists(probe)) {
        probe = probe.getParent();
      }
      posix = probe != null && Files.getFileStore(probe).supportsFileAttributeView("posix");
    }
    return posix;
  }

  /**
   * The size of regular file {@code p}, or empty when it is none; one look, so that a file a
   * writer deletes meanwhile (readers take no lock) reads as absent rather than failing.
   */
  private static OptionalLong sizeOf(Path p) throws IOException {
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      return a.isRegularFile() ? OptionalLong.of(a.size()) : OptionalLong.empty();
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    }
  }

  private static String readOwner(FileChannel ch) {
    try {
      ByteBuffer b = ByteBuffer.allocate(512);
      int n = ch.read(b, 0);
      String s = n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8).trim();
      return s.isEmpty() ? null : s;
    } catch (IOException e) {
      return null;
    }
  }

  /** The JDK's write and force errors name no file ("No space left on device"): add ours. */
  private static IOException named(Path p, IOException e) {
    return e instanceof FileSystemException ? e : new IOException(p + ": " + e.getMessage(), e);
  }
}
