package dev.carryon.sync.ext4;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** e2fsprogs as the test oracle: mke2fs builds images, debugfs inspects and edits them. */
public final class E2fs {
  private E2fs() {}

  /**
   * Runs {@code mke2fs -t type -d source options... image size}: a filesystem holding a copy of
   * {@code source}.
   */
  public static void mkfs(Path image, String type, String size, Path source, String... options)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of("mke2fs", "-q", "-F", "-t", type));
    cmd.addAll(Arrays.asList(options));
    if (source != null) {
      cmd.addAll(List.of("-d", source.toString()));
    }
    cmd.addAll(List.of(image.toString(), size));
    run(cmd);
  }

  /** Runs {@code e2fsck -fy} (replaying the journal); fails unless it fixed everything. */
  public static void fsck(Path image) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("e2fsck", "-fy", image.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    assertTrue(rc == 0 || rc == 1, "e2fsck exited " + rc + ": " + out);
  }

  /** Output of one read-only debugfs request, e.g. {@code ls -l /dir} or {@code stat /f}. */
  public static String debugfs(Path image, String request) throws IOException {
    return run(List.of("debugfs", "-R", request, image.toString()));
  }

  /** Runs debugfs requests in write mode, one per line, failing on any error message. */
  public static void debugfsWrite(Path image, String... requests) throws IOException {
    Path script = Files.createTempFile("debugfs", ".cmd");
    try {
      Files.write(script, List.of(requests));
      runBytes(List.of("debugfs", "-w", "-f", script.toString(), image.toString()), true);
    } finally {
      Files.delete(script);
    }
  }

  /** The file's contents as debugfs reads them. */
  public static byte[] cat(Path image, String guestPath) throws IOException {
    return runBytes(List.of("debugfs", "-R", "cat " + guestPath, image.toString()), true);
  }

  /** Byte offset of the inode of {@code guestPath} in the image. */
  public static long inodeOffset(Path image, String guestPath, int blockSize) throws IOException {
    String out = debugfs(image, "imap " + guestPath);
    Matcher m = Pattern.compile("located at block (\\d+), offset 0x([0-9a-f]+)").matcher(out);
    assertTrue(m.find(), "imap output: " + out);
    return Long.parseLong(m.group(1)) * blockSize + Long.parseLong(m.group(2), 16);
  }

  /** Data block numbers of {@code guestPath}, in logical order. */
  public static List<Long> blocks(Path image, String guestPath) throws IOException {
    List<Long> blocks = new ArrayList<>();
    for (String s : debugfs(image, "blocks " + guestPath).trim().split("\\s+")) {
      blocks.add(Long.parseLong(s));
    }
    return blocks;
  }

  /** Overwrites {@code size} bytes at {@code offset} with {@code value}, little-endian. */
  public static void patch(Path image, long offset, int size, long value) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
      ch.write(b.flip().limit(size), offset);
    }
  }

  /** Overwrites bytes at {@code offset}. */
  public static void patch(Path image, long offset, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(bytes), offset);
    }
  }

  /** Reads {@code size} little-endian bytes at {@code offset}. */
  public static long peek(Path image, long offset, int size) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
      ch.read(b.limit(size), offset);
    }
    return b.limit(8).getLong(0);
  }

  /** Runs a command, failing the test when it exits non-zero; returns its output. */
  public static String run(List<String> cmd) throws IOException {
    return new String(runBytes(cmd, false), StandardCharsets.UTF_8);
  }

  /** Runs {@code cmd}; with {@code strict}, any stderr line but debugfs' banner is a failure. */
  private static byte[] runBytes(List<String> cmd, boolean strict) throws IOException {
    Path err = Files.createTempFile("e2fs", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(cmd + " timed out");
      }
      if (p.exitValue() != 0) {
        fail(cmd + " exited " + p.exitValue() + ": " + Files.readString(err));
      }
      for (String line : Files.readAllLines(err)) {
        if (strict && !line.isBlank() && !line.startsWith("debugfs ")) {
          fail(cmd + " reported: " + line);
        }
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      Files.delete(err);
    }
  }
}
