package dev.carryon.sync.export;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Receives a guest tree depth-first: a directory before its entries, {@link #endDirectory} after
 * them. Paths are lists of entry names relative to the export's top; an empty list is the top
 * itself when the guest directory's entries are exported without its own name.
 */
interface TreeVisitor {
  /** A directory, before its entries. */
  void directory(List<String> path, GuestFile dir) throws IOException;

  /** Called after the entries of {@code dir}: the place to set its metadata. */
  void endDirectory(List<String> path, GuestFile dir) throws IOException;

  /** A regular file of {@code file.size()} bytes, read from {@code data}. */
  void file(List<String> path, GuestFile file, InputStream data) throws IOException;

  /** A symbolic link pointing at {@code target}. */
  void symlink(List<String> path, GuestFile link, String target) throws IOException;

  /** An entry left out: a device node, FIFO or socket ("/dev/null: char device skipped"). */
  void skipped(String guestPath, String why) throws IOException;
}
