package dev.carryon.sync.ext4;

import static dev.carryon.sync.ext4.Ext4Format.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Replays an internal JBD2 journal in memory, as the kernel would at mount, without writing to
 * the device: the result maps each filesystem block whose newest committed copy sits in the log
 * to that copy. The log is scanned from s_start with s_sequence; it ends at the first block that
 * is not the next expected header, and a transaction counts only once its commit block is seen.
 * A block revoked by a transaction at or after the one that logged it is not replayed.
 * Checksums are not verified; fast-commit records are not replayed (the last full commit is).
 */
final class Journal {
  /** A filesystem block replaced by a log block. */
  record Copy(long deviceBlock, boolean escaped) {}

  /** One logged block of a transaction. */
  private record Tag(long fsBlock, long logBlock, boolean escaped, long sequence) {}

  /** The filesystem. */
  private final Volume vol;
  /** Journal inode number, for messages. */
  private final long inode;
  /** Logical-to-device map of the journal inode. */
  private final BlockMap map;
  /** Log geometry from the journal superblock. */
  private long maxLen;
  private long first;
  /** Journal incompatible features. */
  private int features;

  private Journal(Volume vol, Ext4File journal) throws Ext4Exception {
    this.vol = vol;
    this.inode = journal.number();
    this.map = BlockMap.of(vol, journal);
  }

  /** Replays the journal of {@code vol}; the map is empty when the log holds nothing. */
  static Map<Long, Copy> replay(Volume vol, InodeTable inodes) throws IOException {
    long inum = Integer.toUnsignedLong(vol.sb.journalInode);
    if ((vol.sb.compat & COMPAT_HAS_JOURNAL) == 0 || inum == 0) {
      throw vol.error(Ext4Exception.Kind.UNSUPPORTED, "the filesystem needs recovery from an"
          + " external journal, which is not supported");
    }
    Ext4File file = inodes.read(inum, "the journal inode");
    return new Journal(vol, file).replay(file.size());
  }

  private Map<Long, Copy> replay(long fileSize) throws IOException {
    ByteBuffer sb = logBlock(0);
    int magic = sb.getInt(JH_MAGIC);
    int type = sb.getInt(JH_BLOCKTYPE);
    if (magic != JBD2_MAGIC || (type != JBD2_SUPERBLOCK_V1 && type != JBD2_SUPERBLOCK_V2)) {
      throw vol.corrupt(String.format("journal inode %d: superblock magic 0x%08x type %d, expected"
          + " 0x%08x type 3 or 4", inode, magic, type, JBD2_MAGIC));
    }
    if (sb.getInt(JS_BLOCKSIZE) != vol.blockSize()) {
      throw vol.corrupt("journal inode " + inode + ": block size " + sb.getInt(JS_BLOCKSIZE)
          + " differs from the filesystem's " + vol.blockSize());
    }
    maxLen = Integer.toUnsignedLong(sb.getInt(JS_MAXLEN));
    first = Integer.toUnsignedLong(sb.getInt(JS_FIRST));
    long start = Integer.toUnsignedLong(sb.getInt(JS_START));
    if (maxLen > fileSize / vol.blockSize() || first < 1 || first >= maxLen
        || (start != 0 && (start < first || start >= maxLen))) {
      throw vol.corrupt("journal inode " + inode + ": log geometry (first " + first + ", start "
          + start + ", length " + maxLen + ") does not fit the journal's " + fileSize + " bytes");
    }
    features = type == JBD2_SUPERBLOCK_V2 ? sb.getInt(JS_FEATURE_INCOMPAT) : 0;
    if ((features & ~JBD2_KNOWN_INCOMPAT) != 0) {
      throw vol.error(Ext4Exception.Kind.UNSUPPORTED, String.format("journal inode %d: journal"
          + " features 0x%x are not supported", inode, features & ~JBD2_KNOWN_INCOMPAT));
    }
    Map<Long, Copy> copies = new HashMap<>();
    if (start == 0) {
      return copies; // empty log: nothing to replay
    }
    List<Tag> committed = new ArrayList<>();
    Map<Long, Long> revoked = new HashMap<>(); // fs block -> newest revoking transaction
    scan(start, Integer.toUnsignedLong(sb.getInt(JS_SEQUENCE)), committed, revoked);
    for (Tag t : committed) {
      Long revokedBy = revoked.get(t.fsBlock);
      if (revokedBy == null || revokedBy < t.sequence) {
        vol.checkBlocks(t.fsBlock, 1, "journal inode " + inode + ": logged block");
        copies.put(t.fsBlock, new Copy(deviceBlock(t.logBlock), t.escaped));
      }
    }
    return copies;
  }

  /** Collects the tags and revokes of every committed transaction, oldest first. */
  private void scan(long start, long sequence, List<Tag> committed, Map<Long, Long> revoked)
      throws IOException {
    List<Tag> tags = new ArrayList<>();
    Map<Long, Long> revokes = new HashMap<>();
    long block = start;
    long seq = sequence;
    // Each step consumes at least one log block; a log longer than the journal is damage.
    for (long steps = 0; steps < maxLen; steps++) {
      ByteBuffer b = logBlock(block);
      if (b.getInt(JH_MAGIC) != JBD2_MAGIC
          || Integer.toUnsignedLong(b.getInt(JH_SEQUENCE)) != seq) {
        return; // the end of the log
      }
      switch (b.getInt(JH_BLOCKTYPE)) {
        case JBD2_DESCRIPTOR_BLOCK:
          block = descriptor(b, block, seq, tags);
          break;
        case JBD2_COMMIT_BLOCK:
          committed.addAll(tags);
          revokes.forEach((fsBlock, s) -> revoked.merge(fsBlock, s, Math::max));
          tags.clear();
          revokes.clear();
          seq = (seq + 1) & 0xFFFFFFFFL;
          break;
        case JBD2_REVOKE_BLOCK:
          revoke(b, seq, revokes);
          break;
        default:
          return;
      }
      block = next(block);
    }
  }

  /** Records the tags of a descriptor block; returns the log block of its last data block. */
  private long descriptor(ByteBuffer b, long at, long seq, List<Tag> tags) throws Ext4Exception {
    boolean v3 = (features & JBD2_INCOMPAT_CSUM_V3) != 0;
    boolean is64 = (features & JBD2_INCOMPAT_64BIT) != 0;
    int tagSize = v3 ? JT3_SIZE
        : 8 + (is64 ? 4 : 0) + ((features & JBD2_INCOMPAT_CSUM_V2) != 0 ? 2 : 0);
    boolean tail = v3 || (features & JBD2_INCOMPAT_CSUM_V2) != 0;
    int end = vol.blockSize() - (tail ? JBD2_TAIL_SIZE : 0);
    int off = JH_SIZE;
    long data = at;
    while (off + tagSize <= end) {
      long fsBlock = Integer.toUnsignedLong(b.getInt(off + JT_BLOCKNR));
      int flags = v3 ? b.getInt(off + JT3_FLAGS) : Short.toUnsignedInt(b.getShort(off + JT_FLAGS));
      if (is64) {
        fsBlock |= Integer.toUnsignedLong(b.getInt(off + (v3 ? JT3_BLOCKNR_HIGH : JT_BLOCKNR_HIGH)))
            << 32;
      }
      data = next(data);
      tags.add(new Tag(fsBlock, data, (flags & JBD2_FLAG_ESCAPE) != 0, seq));
      off += tagSize + ((flags & JBD2_FLAG_SAME_UUID) != 0 ? 0 : JT_UUID_SIZE);
      if ((flags & JBD2_FLAG_LAST_TAG) != 0) {
        return data;
      }
    }
    throw vol.corrupt("journal inode " + inode + ": descriptor block " + at
        + " has no last tag");
  }

  private void revoke(ByteBuffer b, long seq, Map<Long, Long> revokes) throws Ext4Exception {
    int count = b.getInt(JR_COUNT);
    int size = (features & JBD2_INCOMPAT_64BIT) != 0 ? 8 : 4;
    if (count < JR_RECORDS || count > vol.blockSize()) {
      throw vol.corrupt("journal inode " + inode + ": revoke block of transaction " + seq
          + " claims " + count + " bytes");
    }
    for (int off = JR_RECORDS; off + size <= count; off += size) {
      long fsBlock = size == 8 ? b.getLong(off) : Integer.toUnsignedLong(b.getInt(off));
      revokes.put(fsBlock, seq);
    }
  }

  private long next(long block) {
    return block + 1 == maxLen ? first : block + 1;
  }

  /** Reads log block {@code logical} straight from the device, big-endian. */
  private ByteBuffer logBlock(long logical) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(vol.blockSize()).order(ByteOrder.BIG_ENDIAN);
    vol.read(b, deviceBlock(logical) * vol.blockSize(), "journal inode " + inode);
    return b.flip();
  }

  private long deviceBlock(long logical) throws IOException {
    BlockMap.Run run = map.find(logical);
    if (run.physical() == BlockMap.HOLE) {
      throw vol.corrupt("journal inode " + inode + " has a hole at block " + logical);
    }
    return run.physical();
  }
}
