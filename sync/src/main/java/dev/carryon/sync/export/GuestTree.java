package dev.carryon.sync.export;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/** A guest file system an export reads: the pure-Java ext4 reader, or libguestfs. */
interface GuestTree extends Closeable {
  /**
   * Walks {@code path} (resolved like lstat: a symlink named by it is one entry) depth-first into
   * {@code visitor}, naming it {@code top} (empty: the entries of a directory go to the top).
   */
  void walk(String path, List<String> top, TreeVisitor visitor) throws IOException;
}
