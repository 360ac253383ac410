package dev.carryon.sync.ext4;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Random;

/** A host folder with the shapes a guest filesystem holds, to build images from with mkfs -d. */
public final class SourceTree {
  /** Apparent size of sparse.bin: past 12 + 256 + 65536 one-KiB blocks, so triple-indirect. */
  public static final long SPARSE_SIZE = 66L << 20;
  /** Offsets of the only data in sparse.bin. */
  public static final long[] SPARSE_DATA_AT = {0, 5L << 20, SPARSE_SIZE - 10_000};
  /** A name of 255 bytes, the ext4 limit. */
  public static final String LONG_NAME = "n".repeat(250) + ".long";
  /** Nesting depth of deep/. */
  public static final int DEPTH = 24;
  /** Files in many/, enough for a hashed multi-block directory with 1 KiB blocks. */
  public static final int MANY = 300;
  /** Modification time given to every file (mkfs -d keeps whole seconds). */
  public static final Instant MTIME = Instant.parse("2021-03-04T05:06:07Z");

  private SourceTree() {}

  /** Fills the empty folder {@code root}. */
  public static void create(Path root) throws IOException {
    Random random = new Random(42);
    write(root.resolve("hello.txt"), "hello\n".getBytes(StandardCharsets.UTF_8), "rw-r--r--");
    write(root.resolve("empty"), new byte[0], "rw-r--r--");
    write(root.resolve("exec.sh"), "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8),
        "rwxr-xr-x");
    write(root.resolve("secret"), "s3cret".getBytes(StandardCharsets.UTF_8), "rw-------");
    write(root.resolve("caf\u00e9-\u00fcn\u00efc\u00f8d\u00e9.txt"),
        "unicode\n".getBytes(StandardCharsets.UTF_8), "rw-r-----");
    write(root.resolve(LONG_NAME), "long name\n".getBytes(StandardCharsets.UTF_8), "rw-r--r--");

    Path data = Files.createDirectory(root.resolve("data"));
    write(data.resolve("random-3000"), bytes(random, 3000), "rw-r--r--");
    write(data.resolve("inline-200"), bytes(random, 200), "rw-r--r--");
    write(data.resolve("random-100k"), bytes(random, 100_000), "rw-r--r--");
    write(data.resolve("random-1m"), bytes(random, 1 << 20), "r--r--r--");

    try (FileChannel ch = FileChannel.open(root.resolve("sparse.bin"),
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (long at : SPARSE_DATA_AT) {
        ch.write(ByteBuffer.wrap(bytes(random, 10_000)), at);
      }
    }
    stamp(root.resolve("sparse.bin"));

    Path deep = root.resolve("deep");
    for (int i = 1; i <= DEPTH; i++) {
      deep = deep.resolve("level-" + i);
    }
    Files.createDirectories(deep);
    write(deep.resolve("bottom.txt"), "bottom\n".getBytes(StandardCharsets.UTF_8), "rw-r--r--");

    Path many = Files.createDirectory(root.resolve("many"));
    for (int i = 0; i < MANY; i++) {
      write(many.resolve(String.format("file-with-a-longish-name-%03d", i)),
          Integer.toString(i).getBytes(StandardCharsets.UTF_8), "rw-r--r--");
    }

    Files.createSymbolicLink(root.resolve("link-fast"), Path.of("hello.txt"));
    Files.createSymbolicLink(root.resolve("link-slow"),
        Path.of("data/../data/../data/../data/../data/../data/../data/../data/random-3000"));
    Files.createSymbolicLink(root.resolve("link-dir"), Path.of("data"));
    Files.createSymbolicLink(root.resolve("link-abs"), Path.of("/data/random-100k"));
    Files.createSymbolicLink(root.resolve("dangling"), Path.of("nowhere"));
    Files.createSymbolicLink(root.resolve("loop-a"), Path.of("loop-b"));
    Files.createSymbolicLink(root.resolve("loop-b"), Path.of("./loop-a"));
    E2fs.run(List.of("mkfifo", root.resolve("fifo").toString()));

    Path restricted = Files.createDirectory(root.resolve("restricted"));
    write(restricted.resolve("inside"), "in\n".getBytes(StandardCharsets.UTF_8), "rw-r--r--");
    Files.setPosixFilePermissions(restricted, PosixFilePermissions.fromString("r-x------"));
    // Directory times last: creating entries above changed them.
    try (var walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          stamp(p);
        }
      }
    }
  }

  private static void write(Path file, byte[] content, String permissions) throws IOException {
    Files.write(file, content, StandardOpenOption.CREATE_NEW);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    stamp(file);
  }

  private static void stamp(Path p) throws IOException {
    Files.setLastModifiedTime(p, FileTime.from(MTIME));
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
