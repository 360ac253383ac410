package dev.carryon.sync.export;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Where an export writes: a host folder or a tar file. Paths are lists of entry names relative to
 * the export's top; an empty list is the top itself when the guest root is exported.
 */
interface ExportSink extends Closeable {
  /** Creates a directory before its entries are written. */
  void directory(List<String> path, GuestFile dir) throws IOException;

  /** Called after the entries of {@code dir}: the place to set its metadata. */
  void endDirectory(List<String> path, GuestFile dir) throws IOException;

  /** Writes a regular file of {@code file.size()} bytes read from {@code data}. */
  void file(List<String> path, GuestFile file, InputStream data) throws IOException;

  /** Writes a symbolic link pointing at {@code target}. */
  void symlink(List<String> path, GuestFile link, String target) throws IOException;

  /** Makes what was written final; without it, {@link #close()} leaves nothing behind. */
  void commit() throws IOException;
}
