package dev.carryon.sync.ext4;

import static dev.carryon.sync.ext4.Ext4Format.*;

import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * An inode: a file, directory, symlink or special file, with the metadata an export keeps. Read
 * its contents through the {@link Ext4Filesystem} it came from.
 */
public final class Ext4File {
  /** Inode number. */
  private final long number;
  /** The whole on-disk inode record, little-endian. */
  final ByteBuffer raw;
  /** i_mode: type and permission bits. */
  private final int mode;
  /** Type decoded from {@link #mode}. */
  private final FileType type;
  /** Size in bytes. */
  private final long size;
  /** i_flags. */
  final int flags;
  /** Bytes of the inode in use past the first 128 (0 for 128-byte inodes). */
  final int extraSize;

  private Ext4File(long number, ByteBuffer raw, int mode, FileType type, long size, int flags,
      int extraSize) {
    this.number = number;
    this.raw = raw;
    this.mode = mode;
    this.type = type;
    this.size = size;
    this.flags = flags;
    this.extraSize = extraSize;
  }

  static Ext4File parse(Volume vol, long number, ByteBuffer raw) throws Ext4Exception {
    int mode = u16(raw, I_MODE);
    FileType type = FileType.ofMode(mode);
    if (type == null) {
      throw vol.corrupt(String.format("inode %d has no valid file type (mode 0%o): unused or"
          + " damaged", number, mode));
    }
    long size = u32(raw, I_SIZE_LO) | u32(raw, I_SIZE_HIGH) << 32;
    if (size < 0) {
      throw vol.corrupt("inode " + number + " has a negative size " + size);
    }
    int extra = 0;
    if (raw.capacity() > GOOD_OLD_INODE_SIZE) {
      extra = u16(raw, I_EXTRA_ISIZE);
      if (extra % 4 != 0 || GOOD_OLD_INODE_SIZE + extra > raw.capacity()) {
        throw vol.corrupt("inode " + number + " has i_extra_isize " + extra
            + ", past the end of its " + raw.capacity() + "-byte record");
      }
    }
    return new Ext4File(number, raw, mode, type, size, raw.getInt(I_FLAGS), extra);
  }

  /** The inode number. */
  public long number() {
    return number;
  }

  /** The file type. */
  public FileType type() {
    return type;
  }

  /** Permission bits, including set-user-ID, set-group-ID and sticky (mode &amp; 07777). */
  public int permissions() {
    return mode & 07777;
  }

  /** Size in bytes (for a symlink: the length of its target). */
  public long size() {
    return size;
  }

  /** Last modification time, to the nanosecond when the inode is large enough to record it. */
  public Instant lastModified() {
    return time(I_MTIME, I_MTIME_EXTRA);
  }

  /**
   * Last change of the inode (content, mode, owner, links, a rename), to the nanosecond when the
   * inode is large enough to record it. Unlike the modification time, no program can set it back.
   */
  public Instant lastChanged() {
    return time(I_CTIME, I_CTIME_EXTRA);
  }

  /** i_generation: differs between inodes that used the same number one after the other. */
  public long generation() {
    return u32(raw, I_GENERATION);
  }

  private Instant time(int secondsAt, int extraAt) {
    long seconds = raw.getInt(secondsAt); // signed: times before 1970 are negative
    long nanos = 0;
    if (extraSize >= extraAt + 4 - GOOD_OLD_INODE_SIZE) {
      long extra = u32(raw, extraAt);
      seconds += (extra & 3) << 32;
      nanos = extra >>> 2;
    }
    return Instant.ofEpochSecond(seconds, Math.min(nanos, 999_999_999));
  }

  /** Numeric owner. */
  public long uid() {
    return u16(raw, I_UID) | (long) u16(raw, I_UID_HIGH) << 16;
  }

  /** Numeric group. */
  public long gid() {
    return u16(raw, I_GID) | (long) u16(raw, I_GID_HIGH) << 16;
  }

  /** Number of directory entries naming this inode. */
  public int linkCount() {
    return u16(raw, I_LINKS_COUNT);
  }

  boolean hasFlag(int flag) {
    return (flags & flag) != 0;
  }

  @Override
  public String toString() {
    return String.format("inode %d (%s, 0%o, %d bytes)", number, type, permissions(), size);
  }
}
