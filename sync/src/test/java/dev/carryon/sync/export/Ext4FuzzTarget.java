package dev.carryon.sync.export;

import dev.carryon.sync.ext4.E2fs;
import dev.carryon.sync.ext4.Ext4Entry;
import dev.carryon.sync.ext4.Ext4Exception;
import dev.carryon.sync.ext4.Ext4File;
import dev.carryon.sync.ext4.Ext4Filesystem;
import dev.carryon.sync.ext4.FileType;
import dev.carryon.sync.ext4.RawFileDevice;
import dev.carryon.testdata.fuzz.FuzzInput;
import dev.carryon.testdata.fuzz.FuzzTarget;
import dev.carryon.testdata.fuzz.Seed;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Fuzzes the ext2/3/4 reader of {@code export} (superblock, group descriptors, inodes, extent
 * trees and block maps, directories, inline data, symlinks, journal replay) and the export into a
 * host folder. The filesystem is read through {@link Ext4Filesystem} first, each directory once
 * and each file up to {@link #READ_LIMIT} bytes; the tree is then exported with
 * {@link Exporter#toFolder} unless its files add up to more than {@link #EXPORT_LIMIT} bytes
 * (sparse files of any size are valid, and an export copies every byte of them). A canary file
 * beside the export folder, which seed symlinks point at, must stay untouched. The documented
 * refusal is an {@link Ext4Exception} whose message starts with the image.
 */
public final class Ext4FuzzTarget implements FuzzTarget {
  static final String FILE = "disk.img";

  /** Bytes read of each file at most. */
  private static final int READ_LIMIT = 1 << 20;

  /** Files adding up to more than this are not exported. */
  private static final long EXPORT_LIMIT = 64L << 20;

  private static final byte[] CANARY = "canary".getBytes();

  @Override
  public String name() {
    return "ext4";
  }

  @Override
  public List<Seed> seeds(Path work) throws Exception {
    Path src = tree(work.resolve("src"));
    List<Seed> seeds = new ArrayList<>();
    seeds.add(seed(work, "ext4, 1 KiB blocks, journal", "ext4", "2M", src, "-b", "1024"));
    seeds.add(seed(work, "ext2 (block maps, an indirect block)", "ext2", "1M", src, "-b", "1024"));
    seeds.add(seed(work, "ext3 (journal, block maps)", "ext3", "2M", src, "-b", "1024"));
    seeds.add(seed(work, "ext4, inline data", "ext4", "2M", src, "-b", "1024", "-I", "256", "-O", "inline_data"));
    seeds.add(seed(work, "ext4, 4 KiB blocks, 64bit, no journal", "ext4", "1M", src, "-b", "4096", "-O",
        "^has_journal,64bit"));
    Path dirty = image(work, "dirty.img", "ext4", "2M", src, "-b", "1024");
    Path block = Files.write(work.resolve("block.bin"), "replayed! ".repeat(103).substring(0, 1024).getBytes());
    long hello = E2fs.blocks(dirty, "/hello.txt").get(0);
    long random = E2fs.blocks(dirty, "/random.bin").get(0);
    E2fs.debugfsWrite(dirty, "jo -c", "jw -b " + hello + " " + block, "jw -r " + random, "jc");
    seeds.add(seed("ext4 needing recovery: a committed transaction and a revoke in its journal", dirty));
    Path many = Files.createDirectories(tree(work.resolve("many")).resolve("d"));
    for (int i = 0; i < 200; i++) {
      Files.writeString(many.resolve("entry-with-a-longish-name-" + i), Integer.toString(i));
    }
    Path hashed = image(work, "hashed.img", "ext4", "2M", many.getParent(), "-b", "1024");
    Process fsck = new ProcessBuilder("e2fsck", "-fyD", hashed.toString()).redirectErrorStream(true).start();
    fsck.getInputStream().readAllBytes();
    if (!fsck.waitFor(60, TimeUnit.SECONDS) || fsck.exitValue() > 1) {
      throw new IOException("e2fsck -fyD " + hashed + " failed (exit " + fsck.exitValue() + ")");
    }
    seeds.add(seed("ext4, a hashed (dir_index) directory of 200 entries", hashed));
    return seeds;
  }

  /** Files, a directory tree, fast and slow symlinks (two aimed at the canary), a hard link. */
  private static Path tree(Path src) throws IOException {
    Files.createDirectories(src.resolve("dir/sub"));
    Files.writeString(src.resolve("hello.txt"), "hello\n");
    Files.writeString(src.resolve("dir/a"), "a");
    Files.writeString(src.resolve("dir/sub/deep.txt"), "deep\n");
    byte[] random = new byte[20_000];
    new java.util.Random(3).nextBytes(random);
    Files.write(src.resolve("random.bin"), random);
    Files.write(src.resolve("empty"), new byte[0]);
    Files.createSymbolicLink(src.resolve("fast"), Path.of("dir/a"));
    Files.createSymbolicLink(src.resolve("slow"), Path.of("dir/" + "./".repeat(40) + "a"));
    Files.createSymbolicLink(src.resolve("to-canary"), Path.of("../canary"));
    Files.createSymbolicLink(src.resolve("dir/to-canary-file"), Path.of("../../canary/canary"));
    Files.createLink(src.resolve("hard"), src.resolve("hello.txt"));
    return src;
  }

  private static Path image(Path work, String name, String type, String size, Path src, String... options)
      throws IOException {
    Path p = work.resolve(name);
    E2fs.mkfs(p, type, size, src, options);
    return p;
  }

  private static Seed seed(Path work, String what, String type, String size, Path src, String... options)
      throws IOException {
    return seed(what, image(work, type + "-" + what.hashCode() + ".img", type, size, src, options));
  }

  private static Seed seed(String what, Path image) throws IOException {
    byte[] content = Files.readAllBytes(image);
    return new Seed(what, FuzzInput.of(FILE, content), Ext4Fields.of(FILE, content));
  }

  @Override
  public void run(Path input, Path scratch) throws Exception {
    Path image = input.resolve(FILE);
    Path canary = Files.write(Files.createDirectories(scratch.resolve("canary")).resolve("canary"), CANARY);
    try (RawFileDevice device = RawFileDevice.open(image)) {
      Ext4Filesystem fs = Ext4Filesystem.open(device, image.toString());
      if (readAll(fs) <= EXPORT_LIMIT) {
        Exporter.toFolder(fs, "/", scratch.resolve("out"));
      }
      fs.lookup("/dir/sub/deep.txt");
      fs.lookup("/slow");
      fs.lookupNoFollow("/to-canary");
    } finally {
      List<Path> beside;
      try (var s = Files.list(scratch)) {
        beside = s.filter(p -> !p.getFileName().toString().equals("out")).toList();
      }
      if (!Files.isRegularFile(canary) || !java.util.Arrays.equals(CANARY, Files.readAllBytes(canary))
          || !beside.equals(List.of(canary.getParent()))) {
        throw new AssertionError("the export wrote outside its folder: " + beside);
      }
    }
  }

  /**
   * Reads every directory once and up to {@link #READ_LIMIT} bytes of every file and symlink;
   * returns the sum of the regular files' sizes.
   */
  private static long readAll(Ext4Filesystem fs) throws IOException {
    long total = 0;
    Set<Long> seen = new HashSet<>();
    Deque<Ext4File> todo = new ArrayDeque<>(List.of(fs.root()));
    byte[] buffer = new byte[64 << 10];
    while (!todo.isEmpty()) {
      Ext4File dir = todo.pop();
      if (!seen.add(dir.number())) {
        continue;
      }
      for (Ext4Entry e : fs.list(dir)) {
        Ext4File f = e.file();
        if (f.type() == FileType.DIRECTORY) {
          todo.push(f);
        } else if (f.type() == FileType.REGULAR) {
          total = total > Long.MAX_VALUE - f.size() ? Long.MAX_VALUE : total + f.size();
          try (InputStream in = fs.open(f)) {
            for (int n = 0, read = 0; read < READ_LIMIT && (n = in.read(buffer)) >= 0; read += n) {
              // the bytes are not looked at; reading them walks the block map
            }
          }
        } else if (f.type() == FileType.SYMLINK) {
          fs.readLink(f);
        }
      }
    }
    return total;
  }

  @Override
  public String unexpected(Throwable error, Path input) {
    if (!(error instanceof Ext4Exception)) {
      return "not an Ext4Exception";
    }
    if (!String.valueOf(error.getMessage()).startsWith(input.resolve(FILE).toString())) {
      return "the message does not start with the image " + input.resolve(FILE);
    }
    return null;
  }
}
