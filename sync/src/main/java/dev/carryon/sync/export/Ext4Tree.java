package dev.carryon.sync.export;

import dev.carryon.sync.ext4.Ext4Entry;
import dev.carryon.sync.ext4.Ext4File;
import dev.carryon.sync.ext4.Ext4Filesystem;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** A guest tree read in pure Java from an ext2/3/4 file system. */
final class Ext4Tree implements GuestTree {
  /** The file system. */
  private final Ext4Filesystem fs;
  /** Inode numbers of the directories being walked: a repeat means the tree loops. */
  private final Set<Long> openDirs = new HashSet<>();

  Ext4Tree(Ext4Filesystem fs) {
    this.fs = fs;
  }

  @Override
  public void walk(String path, List<String> top, TreeVisitor visitor) throws IOException {
    visit(new ArrayList<>(top), path, fs.lookupNoFollow(path), visitor);
  }

  private void visit(List<String> path, String guestPath, Ext4File file, TreeVisitor v)
      throws IOException {
    GuestFile meta = meta(file);
    switch (file.type()) {
      case DIRECTORY:
        if (!openDirs.add(file.number())) {
          throw new IOException(fs.name() + ": " + guestPath + " (inode " + file.number()
              + ") contains itself: the directory tree loops");
        }
        v.directory(path, meta);
        for (Ext4Entry entry : fs.list(file)) {
          path.add(entry.name());
          visit(path, child(guestPath, entry.name()), entry.file(), v);
          path.remove(path.size() - 1);
        }
        v.endDirectory(path, meta);
        openDirs.remove(file.number());
        break;
      case REGULAR:
        try (InputStream in = fs.open(file)) {
          v.file(path, meta, in);
        }
        break;
      case SYMLINK:
        v.symlink(path, meta, fs.readLink(file));
        break;
      default:
        v.skipped(guestPath, meta.typeName() + " skipped");
    }
  }

  private static GuestFile meta(Ext4File f) {
    GuestFile.Kind kind;
    switch (f.type()) {
      case DIRECTORY:
        kind = GuestFile.Kind.DIRECTORY;
        break;
      case REGULAR:
        kind = GuestFile.Kind.REGULAR;
        break;
      case SYMLINK:
        kind = GuestFile.Kind.SYMLINK;
        break;
      default:
        kind = GuestFile.Kind.OTHER;
    }
    String stamp = f.number() + "." + f.generation() + "." + f.lastChanged().getEpochSecond()
        + "." + f.lastChanged().getNano();
    return new GuestFile(kind, f.type().toString().toLowerCase(Locale.ROOT).replace('_', ' '),
        f.permissions(), f.uid(), f.gid(), f.lastModified(), f.size(), stamp);
  }

  private static String child(String dir, String name) {
    return dir.endsWith("/") ? dir + name : dir + "/" + name;
  }

  @Override
  public void close() {
    // The file system's device belongs to whoever opened it.
  }
}
