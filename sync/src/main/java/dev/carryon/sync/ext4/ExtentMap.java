package dev.carryon.sync.ext4;

import static dev.carryon.sync.ext4.Ext4Format.*;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Walks an ext4 extent tree from its root in i_block. Every node is checked (magic, entry count
 * within capacity, depth one less than its parent) before an entry of it is used, and every
 * block number before it is read.
 */
final class ExtentMap implements BlockMap {
  /** The filesystem. */
  private final Volume vol;
  /** The file, for messages. */
  private final long inode;
  /** The 60-byte root node from i_block. */
  private final ByteBuffer root;

  ExtentMap(Volume vol, Ext4File file) throws Ext4Exception {
    this.vol = vol;
    this.inode = file.number();
    this.root = file.raw.slice(I_BLOCK, I_BLOCK_SIZE).order(file.raw.order());
    checkHeader(root, -1, "the extent root");
  }

  @Override
  public Run find(long logical) throws IOException {
    ByteBuffer node = root;
    long limit = Long.MAX_VALUE; // first logical block the current node does not cover
    String where = "the extent root";
    while (true) {
      int depth = u16(node, EH_DEPTH);
      int entries = u16(node, EH_ENTRIES);
      int chosen = -1;
      for (int i = 0; i < entries; i++) {
        if (u32(node, entry(i)) > logical) {
          break;
        }
        chosen = i;
      }
      long next = chosen + 1 < entries ? Math.min(u32(node, entry(chosen + 1)), limit) : limit;
      if (chosen < 0) {
        return new Run(HOLE, next - logical);
      }
      int e = entry(chosen);
      if (depth == 0) {
        return leafRun(node, e, logical, next);
      }
      long child = u32(node, e + EI_LEAF_LO) | (long) u16(node, e + EI_LEAF_HI) << 32;
      String childWhere = "extent index node at block " + child;
      node = vol.readBlock(child, "inode " + inode + ": " + where + " entry " + chosen);
      checkHeader(node, depth - 1, childWhere);
      where = childWhere;
      limit = next;
    }
  }

  private Run leafRun(ByteBuffer leaf, int e, long logical, long next) throws Ext4Exception {
    long first = u32(leaf, e + EE_BLOCK);
    int len = u16(leaf, e + EE_LEN);
    boolean uninitialized = len > EXTENT_INIT_MAX_LEN;
    if (uninitialized) {
      len -= EXTENT_INIT_MAX_LEN;
    }
    long end = first + len;
    if (logical >= end) {
      return new Run(HOLE, next - logical);
    }
    if (uninitialized) {
      return new Run(HOLE, end - logical); // allocated but never written: zeroes
    }
    long start = u32(leaf, e + EE_START_LO) | (long) u16(leaf, e + EE_START_HI) << 32;
    vol.checkBlocks(start, len, "inode " + inode + ": extent of logical block " + first);
    return new Run(start + (logical - first), end - logical);
  }

  /** Validates a node header; {@code depth} is the depth its parent implies, or -1 at the root. */
  private void checkHeader(ByteBuffer node, int depth, String where) throws Ext4Exception {
    int magic = u16(node, EH_MAGIC);
    if (magic != EXTENT_MAGIC) {
      throw vol.corrupt(String.format("inode %d: %s has extent header magic 0x%04x, expected"
          + " 0x%04x", inode, where, magic, EXTENT_MAGIC));
    }
    int capacity = (node.capacity() - EXTENT_ENTRY_SIZE) / EXTENT_ENTRY_SIZE;
    int max = u16(node, EH_MAX);
    int entries = u16(node, EH_ENTRIES);
    if (max > capacity || entries > max) {
      throw vol.corrupt("inode " + inode + ": " + where + " claims " + entries + " of " + max
          + " entries but has room for " + capacity);
    }
    int actual = u16(node, EH_DEPTH);
    if (depth < 0 ? actual > EXTENT_MAX_DEPTH : actual != depth) {
      throw vol.corrupt("inode " + inode + ": " + where + " has depth " + actual + ", expected "
          + (depth < 0 ? "at most " + EXTENT_MAX_DEPTH : depth));
    }
  }

  private static int entry(int i) {
    return EXTENT_ENTRY_SIZE * (i + 1);
  }
}
