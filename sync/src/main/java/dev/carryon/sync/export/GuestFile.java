package dev.carryon.sync.export;

import java.time.Instant;

/**
 * A guest file's metadata as an export keeps it, whatever read it (the pure-Java ext4 reader or
 * libguestfs).
 *
 * @param kind what it is
 * @param typeName for {@link Kind#OTHER}: what it is in words ("fifo", "char device")
 * @param permissions mode &amp; 07777
 * @param uid numeric owner
 * @param gid numeric group
 * @param modified modification time
 * @param size bytes of content (for a symlink: of its target)
 * @param stamp changes whenever the file's content or metadata does, even when its modification
 *     time is set back (ext4: inode number, generation and change time); null when the reader
 *     cannot tell
 */
public record GuestFile(
    GuestFile.Kind kind, String typeName, int permissions, long uid, long gid, Instant modified,
    long size, String stamp) {

  /** What a guest file is. */
  public enum Kind {
    DIRECTORY,
    REGULAR,
    SYMLINK,
    /** A device node, FIFO or socket: no export writes one. */
    OTHER
  }
}
