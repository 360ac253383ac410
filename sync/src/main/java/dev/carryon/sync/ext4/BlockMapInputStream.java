package dev.carryon.sync.ext4;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/** Reads a file through its {@link BlockMap}; holes and unwritten extents read as zeroes. */
final class BlockMapInputStream extends InputStream {
  /** The filesystem. */
  private final Volume vol;
  /** The file's block map. */
  private final BlockMap map;
  /** File size: reading stops here whatever the map says. */
  private final long size;
  /** For messages. */
  private final String what;
  /** Next byte to read. */
  private long pos;
  /** Logical block where {@link #run} starts; -1 before the first lookup. */
  private long runStart = -1;
  /** The run containing {@link #pos}'s block, once looked up. */
  private BlockMap.Run run;

  BlockMapInputStream(Volume vol, BlockMap map, long size, String what) {
    this.vol = vol;
    this.map = map;
    this.size = size;
    this.what = what;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : Byte.toUnsignedInt(one[0]);
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (pos >= size) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    long blockSize = vol.blockSize();
    long logical = pos / blockSize;
    long within = pos % blockSize;
    if (run == null || logical < runStart || logical - runStart >= run.length()) {
      run = map.find(logical);
      runStart = logical;
    }
    long blocksLeft = run.length() - (logical - runStart);
    long bytesLeft = blocksLeft > (Long.MAX_VALUE / blockSize) ? Long.MAX_VALUE
        : blocksLeft * blockSize - within;
    int n = (int) Math.min(len, Math.min(size - pos, bytesLeft));
    if (run.physical() == BlockMap.HOLE) {
      Arrays.fill(b, off, off + n, (byte) 0);
    } else {
      long block = run.physical() + (logical - runStart);
      vol.read(ByteBuffer.wrap(b, off, n), block * blockSize + within, what);
    }
    pos += n;
    return n;
  }

  @Override
  public long skip(long n) {
    long skipped = Math.max(0, Math.min(n, size - pos));
    pos += skipped;
    return skipped;
  }

  @Override
  public int available() {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(0, size - pos));
  }
}
