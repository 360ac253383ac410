package dev.carryon.sync.export;

import dev.carryon.sync.guestfs.Guestfish;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A guest tree read through libguestfs: a directory as guestfish's {@code tar-out} stream, a file
 * or symlink with {@code lstatns} and {@code download} or {@code readlink}.
 *
 * <p>The tar stream holds a hard link's data once; its other names are fetched with {@code
 * download} after the stream, and the directories above them are ended only then. Times are
 * whole seconds (GNU tar's header) and there is no change stamp: a mirror from libguestfs
 * compares content instead.
 */
final class GuestfsTree implements GuestTree {
  /** The session. */
  private final Guestfish fish;
  /** How messages name the volume. */
  private final String name;

  GuestfsTree(Guestfish fish, String name) {
    this.fish = fish;
    this.name = name;
  }

  @Override
  public void walk(String path, List<String> top, TreeVisitor v) throws IOException {
    String kind = fish.kind(path);
    if (kind == null) {
      throw new IOException(name + ": " + path + ": no such file or directory");
    }
    switch (kind) {
      case "directory":
        directory(path, top, v);
        break;
      case "file":
        try (InputStream in = fish.download(path)) {
          v.file(top, meta(fish.lstat(path)), in);
        }
        break;
      case "symlink":
        v.symlink(top, meta(fish.lstat(path)), fish.readlink(path));
        break;
      default:
        v.skipped(path, typeName(fish.lstat(path).mode()) + " skipped");
    }
  }

  /** A hard link met in the stream, written once the stream has ended. */
  private record Deferred(List<String> path, String guestPath, GuestFile meta) {}

  /** A directory met in the stream, ended when the stream leaves it. */
  private record Open(List<String> path, GuestFile meta, int depth) {}

  private void directory(String dir, List<String> top, TreeVisitor v) throws IOException {
    Deque<Open> open = new ArrayDeque<>();
    List<Open> heldOpen = new ArrayList<>();
    List<Deferred> links = new ArrayList<>();
    try (InputStream raw = fish.tarOut(dir);
        TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
      for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
        List<String> rel = relative(e.getName());
        List<String> path = new ArrayList<>(top);
        path.addAll(rel);
        while (!open.isEmpty() && !isUnder(rel, open.peek().depth, open.peek().path, top)) {
          end(open.pop(), links, heldOpen, v);
        }
        GuestFile meta = meta(e);
        String guestPath = guestPath(dir, rel);
        if (e.isDirectory()) {
          v.directory(path, meta);
          open.push(new Open(path, meta, rel.size()));
        } else if (e.isSymbolicLink()) {
          v.symlink(path, meta, e.getLinkName());
        } else if (e.isLink()) {
          links.add(new Deferred(path, guestPath, meta));
        } else if (e.isFile()) {
          v.file(path, meta, tar);
        } else {
          v.skipped(guestPath, meta.typeName() + " skipped");
        }
      }
      while (!open.isEmpty()) {
        end(open.pop(), links, heldOpen, v);
      }
    }
    for (Deferred d : links) {
      try (InputStream in = fish.download(d.guestPath)) {
        v.file(d.path, d.meta, in);
      }
    }
    for (Open o : heldOpen) { // deepest first, as they were left
      v.endDirectory(o.path, o.meta);
    }
  }

  /** Ends {@code dir}, or holds it open while a hard link below it waits for its data. */
  private static void end(Open dir, List<Deferred> links, List<Open> heldOpen, TreeVisitor v)
      throws IOException {
    for (Deferred d : links) {
      if (d.path.size() > dir.path.size() && d.path.subList(0, dir.path.size()).equals(dir.path)) {
        heldOpen.add(dir);
        return;
      }
    }
    v.endDirectory(dir.path, dir.meta);
  }

  private static boolean isUnder(List<String> rel, int depth, List<String> dirPath,
      List<String> top) {
    List<String> dirRel = dirPath.subList(top.size(), dirPath.size());
    return rel.size() > depth && rel.subList(0, depth).equals(dirRel);
  }

  /** "./a/b/" as [a, b]; "./" as []. Refuses names that could climb out. */
  private List<String> relative(String tarName) throws IOException {
    List<String> parts = new ArrayList<>();
    for (String p : tarName.split("/")) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        throw new IOException(name + ": libguestfs' tar stream names '" + tarName
            + "', which climbs out of the exported directory");
      }
      parts.add(p);
    }
    return parts;
  }

  private static String guestPath(String dir, List<String> rel) {
    String base = dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
    return rel.isEmpty() ? dir : base + "/" + String.join("/", rel);
  }

  private static GuestFile meta(TarArchiveEntry e) {
    GuestFile.Kind kind = e.isDirectory() ? GuestFile.Kind.DIRECTORY
        : e.isSymbolicLink() ? GuestFile.Kind.SYMLINK
        : e.isFile() || e.isLink() ? GuestFile.Kind.REGULAR : GuestFile.Kind.OTHER;
    String type = e.isCharacterDevice() ? "char device" : e.isBlockDevice() ? "block device"
        : e.isFIFO() ? "fifo" : kind.toString().toLowerCase(Locale.ROOT);
    return new GuestFile(kind, type, e.getMode() & 07777, e.getLongUserId(),
        e.getLongGroupId(), e.getLastModifiedTime().toInstant(),
        e.isSymbolicLink() ? e.getLinkName().length() : e.getSize(), null);
  }

  private static GuestFile meta(Guestfish.Stat s) {
    int type = s.mode() & 0170000;
    GuestFile.Kind kind = type == 0040000 ? GuestFile.Kind.DIRECTORY
        : type == 0100000 ? GuestFile.Kind.REGULAR
        : type == 0120000 ? GuestFile.Kind.SYMLINK : GuestFile.Kind.OTHER;
    return new GuestFile(kind, typeName(s.mode()), s.mode() & 07777, s.uid(), s.gid(),
        s.modified(), s.size(), null);
  }

  private static String typeName(int mode) {
    switch (mode & 0170000) {
      case 0020000:
        return "char device";
      case 0060000:
        return "block device";
      case 0010000:
        return "fifo";
      case 0140000:
        return "socket";
      default:
        return "file";
    }
  }

  @Override
  public void close() throws IOException {
    fish.close();
  }
}
