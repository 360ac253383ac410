package dev.carryon.carrier;

import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The storage steps of the commit protocol, each behind a write point: copy in (hashing in the same
 * pass), move into place, force a file or a folder, delete. Nothing here decides what is committed;
 * {@link ManifestStore} and {@link Carrier} do.
 */
final class Durable {
  private Durable() {}

  /** Copies {@code source} to {@code target} durably; returns the copy's size and SHA-256. */
  static FileRecord copy(Path source, Path target, Progress progress) throws IOException {
    long total = Files.size(source);
    byte[] buffer = new byte[DurableOutput.CHUNK];
    DurableOutput out = new DurableOutput(target);
    try (out;
        InputStream in = Files.newInputStream(source)) {
      int n;
      while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
        out.write(buffer, 0, n);
        progress.advanced(out.size(), total);
      }
    }
    return out.record();
  }

  /** Writes {@code bytes} as the whole of {@code target} and forces it. */
  static void write(Path target, byte[] bytes) throws IOException {
    try (DurableOutput out = new DurableOutput(target)) {
      out.write(bytes);
    }
  }

  /** Renames {@code from} to {@code to} in one step, replacing {@code to}. */
  static void move(Path from, Path to) throws IOException {
    WritePoints.reach(to, "rename " + from.getFileName() + " to");
    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Links {@code target} to the file {@code source}; false when the file system has no hard links
   * (FAT, exFAT), and nothing was made. The caller forces the folder.
   */
  static boolean link(Path source, Path target) throws IOException {
    WritePoints.reach(target, "link " + source.getFileName() + " as");
    try {
      Files.createLink(target, source);
      return true;
    } catch (UnsupportedOperationException | FileSystemException e) {
      return false;
    }
  }

  /** Forces a folder, so the names created or renamed in it survive a power cut. */
  static void syncFolder(Path folder) throws IOException {
    WritePoints.reach(folder, "fsync folder");
    // Opening a folder for reading and forcing it is an fsync of the directory on Linux; without
    // it a rename can be lost in a power cut even though the file's data was forced.
    try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  /** Forces a file someone else has written (a merge target) to stable storage. */
  static void force(Path file) throws IOException {
    WritePoints.reach(file, "force");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Deletes {@code file} if it exists. */
  static void delete(Path file) throws IOException {
    WritePoints.reach(file, "delete");
    Files.deleteIfExists(file);
  }

  /** Size and SHA-256 of {@code file}, read in one pass. */
  static FileRecord hash(Path file, Progress progress) throws IOException {
    long total = Files.size(file);
    MessageDigest sha256 = DurableOutput.newSha256();
    byte[] buffer = new byte[DurableOutput.CHUNK];
    long size = 0;
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
        sha256.update(buffer, 0, n);
        size += n;
        progress.advanced(size, total);
      }
    }
    return new FileRecord(size, HexFormat.of().formatHex(sha256.digest()));
  }
}
