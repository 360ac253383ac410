package dev.carryon.sync.ext4;

import static dev.carryon.sync.ext4.Ext4Format.*;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A read-only ext2, ext3 or ext4 filesystem on a {@link BlockDevice}.
 *
 * <p>Reads superblocks with 1 to 64 KiB blocks, 32- and 64-byte group descriptors (classic or
 * meta_bg placement), inodes of any size, extent trees of any depth and classic block maps,
 * sparse files, uninitialized extents (as zeroes), linear and hashed directories, fast and slow
 * symlinks, and inline data kept in the inode. The journal of a filesystem that was not cleanly
 * unmounted is replayed in memory (never on the device), so files read as the kernel would
 * see them after mounting. Checksums are not verified.
 *
 * <p>Every failure is an {@link Ext4Exception} whose message names the device and the problem.
 * Not thread-safe.
 */
public final class Ext4Filesystem {
  /** The device and its superblock. */
  private final Volume vol;
  /** Finds inodes. */
  private final InodeTable inodes;
  /** The root directory. */
  private final Ext4File root;

  private Ext4Filesystem(Volume vol) throws IOException {
    this.vol = vol;
    this.inodes = new InodeTable(vol);
    if (needsRecovery()) {
      vol.replay(Journal.replay(vol, inodes));
    }
    this.root = inodes.read(ROOT_INO, "the root directory");
    if (root.type() != FileType.DIRECTORY) {
      throw vol.corrupt("the root inode " + ROOT_INO + " is a " + root.type()
          + ", not a directory");
    }
  }

  /**
   * Opens the filesystem on {@code device}, validating its superblock.
   *
   * @param name how messages name the device, e.g. the image path
   */
  public static Ext4Filesystem open(BlockDevice device, String name) throws IOException {
    return new Ext4Filesystem(Volume.open(device, name));
  }

  /** The device's name in messages. */
  public String name() {
    return vol.name;
  }

  /**
   * An error for damage a caller found walking this filesystem (a directory reached twice), naming
   * the device as the reader's own errors do.
   */
  public Ext4Exception corrupt(String problem) {
    return vol.corrupt(problem);
  }

  /** The volume label, empty when there is none. */
  public String label() {
    return vol.sb.volumeName;
  }

  /**
   * Whether the journal held updates not yet written to the main area (the filesystem was in use
   * when its image was taken). They have been replayed in memory: files read as of the last
   * committed transaction, which is all a crash-consistent copy can give.
   */
  public boolean needsRecovery() {
    return vol.sb.has(INCOMPAT_RECOVER);
  }

  /** The root directory. */
  public Ext4File root() {
    return root;
  }

  /**
   * Resolves an absolute guest path, following symbolic links everywhere, the last component
   * included (like stat(2)).
   */
  public Ext4File lookup(String path) throws IOException {
    return resolve(path, true);
  }

  /**
   * Resolves an absolute guest path, following symbolic links except in the last component (like
   * lstat(2)): a path naming a symlink gives the symlink, unless it ends in "/".
   */
  public Ext4File lookupNoFollow(String path) throws IOException {
    return resolve(path, path.endsWith("/"));
  }

  /** The entries of a directory, without "." and "..", in on-disk order. */
  public List<Ext4Entry> list(Ext4File dir) throws IOException {
    List<Ext4Entry> entries = new ArrayList<>();
    List<Long> numbers = new ArrayList<>();
    List<String> names = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    walk(dir, (inode, raw) -> {
      String name = checkedName(dir, raw);
      if (!name.equals(".") && !name.equals("..")) {
        // Never so in a valid directory; an export would meet its own file in the way. Compared
        // as decoded, as the host sees them: two invalid UTF-8 names can decode alike.
        if (!seen.add(name)) {
          throw vol.corrupt("directory inode " + dir.number() + " has two entries named '" + name + "'");
        }
        numbers.add(inode);
        names.add(name);
      }
      return true;
    });
    for (int i = 0; i < names.size(); i++) {
      String context = "entry '" + names.get(i) + "' of directory inode " + dir.number();
      entries.add(new Ext4Entry(names.get(i), inodes.read(numbers.get(i), context)));
    }
    return entries;
  }

  /** The contents of a regular file, as a stream of exactly {@link Ext4File#size()} bytes. */
  public InputStream open(Ext4File file) throws IOException {
    if (file.type() != FileType.REGULAR) {
      throw vol.error(Ext4Exception.Kind.WRONG_TYPE, "inode " + file.number() + " is a "
          + file.type() + ", not a regular file");
    }
    return contents(file);
  }

  /** The target of a symbolic link. */
  public String readLink(Ext4File link) throws IOException {
    if (link.type() != FileType.SYMLINK) {
      throw vol.error(Ext4Exception.Kind.WRONG_TYPE, "inode " + link.number() + " is a "
          + link.type() + ", not a symbolic link");
    }
    // Linux caps a symlink at one block; a larger size is damage, not a long name.
    if (link.size() == 0 || link.size() > vol.blockSize()) {
      throw vol.corrupt("symbolic link inode " + link.number() + " has size " + link.size()
          + " (expected 1.." + vol.blockSize() + ")");
    }
    byte[] target;
    if (!link.hasFlag(INODE_INLINE_DATA_FL) && link.size() < I_BLOCK_SIZE) {
      target = new byte[(int) link.size()]; // a fast symlink: the target sits in i_block
      link.raw.get(I_BLOCK, target);
    } else {
      try (InputStream in = contents(link)) {
        target = in.readAllBytes();
      }
    }
    // The kernel stores a target as a C string: a NUL inside is damage, and no host path holds one.
    for (byte b : target) {
      if (b == 0) {
        throw vol.corrupt("symbolic link inode " + link.number() + " has a NUL byte in its target '"
            + new String(target, StandardCharsets.UTF_8).replace("\0", "\\0") + "'");
      }
    }
    return new String(target, StandardCharsets.UTF_8);
  }

  /** A file's data, wherever it is kept: inline, extents or block map. */
  private InputStream contents(Ext4File file) throws IOException {
    if (file.hasFlag(INODE_ENCRYPT_FL)) {
      throw vol.error(Ext4Exception.Kind.UNSUPPORTED, "inode " + file.number()
          + " is encrypted; ext4 encryption is not supported");
    }
    if (file.hasFlag(INODE_INLINE_DATA_FL)) {
      byte[] data = InlineData.read(vol, file);
      if (file.size() > data.length) {
        throw vol.corrupt("inode " + file.number() + " has size " + file.size()
            + " but only " + data.length + " bytes of inline data");
      }
      return new ByteArrayInputStream(data, 0, (int) file.size());
    }
    return new BlockMapInputStream(vol, BlockMap.of(vol, file), file.size(),
        "inode " + file.number());
  }

  /** Visits every used entry of {@code dir}; stops early when the visitor returns false. */
  private void walk(Ext4File dir, DirectoryBlock.Visitor visitor) throws IOException {
    if (dir.type() != FileType.DIRECTORY) {
      throw vol.error(Ext4Exception.Kind.NOT_DIRECTORY, "inode " + dir.number() + " is a "
          + dir.type() + ", not a directory");
    }
    String where = "directory inode " + dir.number();
    if (dir.hasFlag(INODE_INLINE_DATA_FL)) {
      byte[] data = InlineData.read(vol, dir);
      ByteBuffer first = ByteBuffer.wrap(data, INLINE_DIR_PARENT_SIZE,
          I_BLOCK_SIZE - INLINE_DIR_PARENT_SIZE).slice().order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer rest = ByteBuffer.wrap(data, I_BLOCK_SIZE, data.length - I_BLOCK_SIZE).slice()
          .order(ByteOrder.LITTLE_ENDIAN);
      if (DirectoryBlock.walk(vol, first, where + ", inline area", visitor)) {
        DirectoryBlock.walk(vol, rest, where + ", inline attribute", visitor);
      }
      return;
    }
    long bytes = (long) vol.blockSize() * vol.sb.blocksCount;
    if (dir.size() % vol.blockSize() != 0 || dir.size() > bytes) {
      throw vol.corrupt(where + " has size " + dir.size() + ", not a whole number of "
          + vol.blockSize() + "-byte blocks within the filesystem");
    }
    long blocks = dir.size() / vol.blockSize();
    BlockMap map = BlockMap.of(vol, dir);
    byte[] buffer = new byte[vol.blockSize()];
    long block = 0;
    while (block < blocks) {
      BlockMap.Run run = map.find(block);
      long count = Math.min(run.length(), blocks - block);
      for (long i = 0; i < count && run.physical() != BlockMap.HOLE; i++) {
        ByteBuffer data = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);
        vol.read(data, (run.physical() + i) * vol.blockSize(), where);
        if (!DirectoryBlock.walk(vol, data.flip(), where + ", block " + (block + i), visitor)) {
          return;
        }
      }
      block += count;
    }
  }

  /** Decodes an entry name, refusing one that could escape a path or end a C string. */
  private String checkedName(Ext4File dir, byte[] raw) throws Ext4Exception {
    for (byte b : raw) {
      if (b == '/' || b == 0) {
        throw vol.corrupt("directory inode " + dir.number() + " has an entry named '"
            + new String(raw, StandardCharsets.UTF_8).replace("\0", "\\0")
            + "', which contains '/' or NUL");
      }
    }
    return new String(raw, StandardCharsets.UTF_8);
  }

  private Ext4File resolve(String path, boolean followLast) throws IOException {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("guest path (" + path + ") must be absolute");
    }
    Deque<String> todo = new ArrayDeque<>(Arrays.asList(path.split("/")));
    Deque<Ext4File> dirs = new ArrayDeque<>(); // the resolved chain from the root, for ".."
    Deque<String> names = new ArrayDeque<>(); // the names along that chain, for messages
    dirs.push(root);
    int links = 0;
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (name.isEmpty() || name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (dirs.size() > 1) {
          dirs.pop();
          names.removeLast();
        }
        continue;
      }
      Ext4File dir = dirs.peek();
      String here = "/" + String.join("/", names);
      if (dir.type() != FileType.DIRECTORY) {
        throw vol.error(Ext4Exception.Kind.NOT_DIRECTORY, path + ": " + here
            + " is not a directory (it is a " + dir.type() + ")");
      }
      Ext4File child = child(dir, name, here);
      if (child == null) {
        throw vol.error(Ext4Exception.Kind.NOT_FOUND, path + ": no '" + name + "' in " + here);
      }
      if (child.type() == FileType.SYMLINK && (followLast || !todo.isEmpty())) {
        if (++links > MAX_SYMLINKS) {
          throw vol.error(Ext4Exception.Kind.SYMLINK_LOOP, path + ": more than " + MAX_SYMLINKS
              + " symbolic links followed (a loop?), last at " + here + "/" + name);
        }
        String target = readLink(child);
        List<String> parts = Arrays.asList(target.split("/"));
        for (int i = parts.size() - 1; i >= 0; i--) {
          todo.push(parts.get(i));
        }
        if (target.startsWith("/")) {
          while (dirs.size() > 1) {
            dirs.pop();
          }
          names.clear();
        }
        continue;
      }
      dirs.push(child);
      names.addLast(name);
    }
    return dirs.peek();
  }

  /** The entry {@code name} of {@code dir}, or null. */
  private Ext4File child(Ext4File dir, String name, String here) throws IOException {
    byte[] wanted = name.getBytes(StandardCharsets.UTF_8);
    long[] found = {0};
    walk(dir, (inode, raw) -> {
      if (Arrays.equals(raw, wanted)) {
        found[0] = inode;
        return false;
      }
      return true;
    });
    return found[0] == 0 ? null : inodes.read(found[0], "entry '" + name + "' of " + here);
  }
}
