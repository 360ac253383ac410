package dev.carryon.sync.ext4;

import static dev.carryon.sync.ext4.Ext4Format.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ext2/ext3 block map: 12 direct pointers in i_block, then one single, one double and one
 * triple indirect block. A zero pointer is a hole, for a whole subtree when it is an indirect one.
 */
final class IndirectMap implements BlockMap {
  /** Indirect blocks kept, enough for every level of a sequential read. */
  private static final int CACHED_BLOCKS = 8;

  /** The filesystem. */
  private final Volume vol;
  /** The file, for messages. */
  private final long inode;
  /** The 15 pointers of i_block. */
  private final ByteBuffer root;
  /** Pointers per indirect block. */
  private final long perBlock;
  /** Recently read indirect blocks by block number. */
  private final Map<Long, ByteBuffer> cache = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, ByteBuffer> eldest) {
      return size() > CACHED_BLOCKS;
    }
  };

  IndirectMap(Volume vol, Ext4File file) {
    this.vol = vol;
    this.inode = file.number();
    this.root = file.raw.slice(I_BLOCK, I_BLOCK_SIZE).order(file.raw.order());
    this.perBlock = vol.blockSize() / 4;
  }

  @Override
  public Run find(long logical) throws IOException {
    if (logical < DIRECT_BLOCKS) {
      return run(root, (int) logical, DIRECT_BLOCKS);
    }
    long offset = logical - DIRECT_BLOCKS;
    long span = perBlock;
    for (int level = 1; level <= 3; level++) {
      if (offset < span) {
        return descend(u32(root, 4 * (DIRECT_BLOCKS + level - 1)), level, offset, span);
      }
      offset -= span;
      span *= perBlock;
    }
    return new Run(HOLE, Long.MAX_VALUE); // past what a block map can address
  }

  /** Maps {@code offset} within the subtree of {@code span} blocks under {@code pointer}. */
  private Run descend(long pointer, int level, long offset, long span) throws IOException {
    if (pointer == 0) {
      return new Run(HOLE, span - offset);
    }
    ByteBuffer table = cache.get(pointer);
    if (table == null) {
      table = vol.readBlock(pointer, "inode " + inode + ": level-" + level + " indirect block");
      cache.put(pointer, table);
    }
    long childSpan = span / perBlock;
    int index = (int) (offset / childSpan);
    if (level == 1) {
      return run(table, index, (int) perBlock);
    }
    return descend(u32(table, 4 * index), level - 1, offset % childSpan, childSpan);
  }

  /** The run starting at pointer {@code from} of {@code table}, ending before {@code count}. */
  private Run run(ByteBuffer table, int from, int count) throws Ext4Exception {
    long first = u32(table, 4 * from);
    int n = 1;
    while (from + n < count) {
      long p = u32(table, 4 * (from + n));
      if (first == 0 ? p != 0 : p != first + n) {
        break;
      }
      n++;
    }
    if (first == 0) {
      return new Run(HOLE, n);
    }
    vol.checkBlocks(first, n, "inode " + inode + ": block map");
    return new Run(first, n);
  }
}
