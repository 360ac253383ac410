package dev.carryon.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files and folders only their owner can read (0600, 0700), whatever the umask, wherever the file
 * system has POSIX modes (FAT and exFAT drives have none: there nothing is asked). Disk images,
 * RAM states and a host's session files hold someone's whole working session. The mode is given
 * at creation, so no file is ever open to others, not even for a moment; the umask can only
 * narrow it further.
 */
public final class OwnerOnly {
  /** Mode of every file created: read and write for its owner. */
  public static final String FILE_MODE = "rw-------";

  /** Mode of every folder created: its owner's alone. */
  public static final String FOLDER_MODE = "rwx------";

  private static final FileAttribute<?> FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(FILE_MODE));
  private static final FileAttribute<?> FOLDER =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(FOLDER_MODE));
  private static final FileAttribute<?>[] NONE = {};

  private OwnerOnly() {}

  /** Opens {@code file} with {@code options}; when this creates it, it is the owner's only. */
  public static FileChannel open(Path file, OpenOption... options) throws IOException {
    return FileChannel.open(file, Set.of(options), fileMode(file));
  }

  /** Writes all of {@code bytes} to {@code file} opened with {@code options} (owner-only if new). */
  public static void write(Path file, byte[] bytes, OpenOption... options) throws IOException {
    try (FileChannel channel = open(file, options)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }
  }

  /** Creates the empty file {@code file} (fails when it exists), the owner's only. */
  public static Path createFile(Path file) throws IOException {
    return Files.createFile(file, fileMode(file));
  }

  /** A new folder in the temporary folder, its name begun with {@code prefix}, the owner's only. */
  public static Path createTempDirectory(String prefix) throws IOException {
    return Files.createTempDirectory(prefix, FOLDER);
  }

  /** Like {@link Files#createDirectories}; each folder it creates is the owner's only. */
  public static Path createDirectories(Path dir) throws IOException {
    Path absolute = dir.toAbsolutePath();
    if (Files.isDirectory(absolute)) {
      return dir;
    }
    Path parent = absolute.getParent();
    if (parent != null) {
      createDirectories(parent);
    }
    try {
      Files.createDirectory(absolute, isPosix(absolute) ? new FileAttribute<?>[] {FOLDER} : NONE);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(absolute)) {
        throw e;
      }
    }
    return dir;
  }

  /** The attributes that make a new file {@code file} its owner's only (none without modes). */
  private static FileAttribute<?>[] fileMode(Path file) throws IOException {
    return isPosix(file) ? new FileAttribute<?>[] {FILE} : NONE;
  }

  /** Whether the file system that holds (or would hold) {@code path} has POSIX modes. */
  private static boolean isPosix(Path path) throws IOException {
    Path probe = path.toAbsolutePath();
    while (probe != null && !Files.exists(probe)) {
      probe = probe.getParent();
    }
    return probe != null && Files.getFileStore(probe).supportsFileAttributeView("posix");
  }
}
