package dev.carryon.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Damages a qcow2 image (standard L2 entries, 16-bit refcounts) the way a bug or a bad cut would,
 * for check tests. Reads the tables from the file itself, independent of the engine.
 */
final class ImagePatch implements AutoCloseable {
  private static final long OFFSET_MASK = 0x00fffffffffffe00L;
  private final FileChannel file;
  private final int clusterBits;

  ImagePatch(Path image) throws IOException {
    this.file = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
    this.clusterBits = (int) read(20, 4);
  }

  /** Host offset of the L2 entry that maps {@code guest}. */
  long l2EntryAt(long guest) throws IOException {
    long cluster = guest >>> clusterBits;
    long perTable = (1L << clusterBits) / 8;
    long l1 = read(40, 8) + cluster / perTable * 8;
    long l2 = read(l1, 8) & OFFSET_MASK;
    if (l2 == 0) {
      throw new IllegalStateException("no L2 table maps guest offset " + guest);
    }
    return l2 + cluster % perTable * 8;
  }

  /** Host offset of the data cluster mapped at {@code guest}. */
  long hostOf(long guest) throws IOException {
    return read(l2EntryAt(guest), 8) & OFFSET_MASK;
  }

  /** Makes the guest cluster at {@code guest} unallocated (its host cluster leaks). */
  void unmap(long guest) throws IOException {
    write(l2EntryAt(guest), 8, 0);
  }

  /** Sets the 16-bit refcount of the host cluster at {@code host}. */
  void setRefcount(long host, int value) throws IOException {
    long cluster = host >>> clusterBits;
    long perBlock = (1L << clusterBits) / 2;
    long block = read(read(48, 8) + cluster / perBlock * 8, 8) & OFFSET_MASK;
    write(block + cluster % perBlock * 2, 2, value);
  }

  private long read(long at, int bytes) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(bytes);
    file.read(b, at);
    return bytes == 8 ? b.getLong(0) : bytes == 4 ? b.getInt(0) : b.getShort(0) & 0xffff;
  }

  private void write(long at, int bytes, long value) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(bytes);
    if (bytes == 8) {
      b.putLong(0, value);
    } else {
      b.putShort(0, (short) value);
    }
    file.write(b, at);
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
