package dev.carryon.sync.ext4;

import static dev.carryon.sync.ext4.Ext4Format.*;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * A device with a validated superblock: reads whole blocks or byte ranges, refusing any block
 * number past the end of the filesystem, and builds errors that name the device.
 */
final class Volume {
  /** Where the bytes come from. */
  final BlockDevice device;
  /** The device's name in messages. */
  final String name;
  /** The validated superblock. */
  final Superblock sb;
  /** Blocks whose newest committed copy is in the journal; empty when nothing was replayed. */
  private Map<Long, Journal.Copy> journalCopies = Map.of();

  private Volume(BlockDevice device, String name, Superblock sb) {
    this.device = device;
    this.name = name;
    this.sb = sb;
  }

  static Volume open(BlockDevice device, String name) throws IOException {
    long size = device.size();
    if (size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
      throw new Ext4Exception(Ext4Exception.Kind.NOT_EXT, name + ": not an ext2/ext3/ext4"
          + " filesystem (only " + size + " bytes, too small for a superblock)");
    }
    ByteBuffer raw = ByteBuffer.allocate(SUPERBLOCK_SIZE);
    device.read(raw, SUPERBLOCK_OFFSET);
    Superblock sb = Superblock.parse(raw.flip(), name);
    if (sb.blocksCount > size / sb.blockSize) {
      throw new Ext4Exception(Ext4Exception.Kind.CORRUPT, name + ": the filesystem has "
          + sb.blocksCount + " blocks of " + sb.blockSize + " bytes ("
          + sb.blocksCount * sb.blockSize + " bytes) but the device holds only " + size
          + " bytes (truncated image?)");
    }
    return new Volume(device, name, sb);
  }

  int blockSize() {
    return sb.blockSize;
  }

  /** Refuses a run of {@code count} blocks at {@code block} that leaves the filesystem. */
  void checkBlocks(long block, long count, String what) throws Ext4Exception {
    if (block < 0 || count < 0 || block >= sb.blocksCount || count > sb.blocksCount - block) {
      throw corrupt(what + " points at block " + Long.toUnsignedString(block)
          + (count > 1 ? " (+" + count + ")" : "") + ", past the end of the filesystem ("
          + sb.blocksCount + " blocks)");
    }
  }

  /** Reads block {@code block} into a new little-endian buffer; {@code what} names it in errors. */
  ByteBuffer readBlock(long block, String what) throws IOException {
    checkBlocks(block, 1, what);
    ByteBuffer b = ByteBuffer.allocate(sb.blockSize).order(ByteOrder.LITTLE_ENDIAN);
    read(b, block * sb.blockSize, what);
    return b.flip();
  }

  /** From now on, reads of the given blocks come from their journal copies. */
  void replay(Map<Long, Journal.Copy> copies) {
    journalCopies = Map.copyOf(copies);
  }

  /**
   * Fills {@code dst} from byte {@code offset}, which the caller has bounds-checked; blocks
   * replayed from the journal are read from their log copies.
   */
  void read(ByteBuffer dst, long offset, String what) throws IOException {
    long at = offset;
    while (dst.hasRemaining()) {
      long block = at / sb.blockSize;
      int within = (int) (at % sb.blockSize);
      Journal.Copy copy = journalCopies.get(block);
      long n = sb.blockSize - within;
      if (copy == null) { // extend over the following blocks the journal leaves alone
        for (long next = block + 1; n < dst.remaining() && !journalCopies.containsKey(next);
            next++) {
          n += sb.blockSize;
        }
      }
      int len = (int) Math.min(n, dst.remaining());
      ByteBuffer part = dst.slice().limit(len);
      readDevice(part, copy == null ? at : copy.deviceBlock() * sb.blockSize + within, what);
      if (copy != null && copy.escaped()) {
        restoreMagic(dst, within, len);
      }
      dst.position(dst.position() + len);
      at += len;
    }
  }

  /** A log copy of a block that began with the JBD2 magic has it zeroed; puts it back. */
  private static void restoreMagic(ByteBuffer dst, int within, int len) {
    byte[] magic = ByteBuffer.allocate(4).putInt(JBD2_MAGIC).array(); // big-endian on disk
    for (int i = within; i < magic.length && i < within + len; i++) {
      dst.put(dst.position() + i - within, magic[i]);
    }
  }

  private void readDevice(ByteBuffer dst, long offset, String what) throws IOException {
    try {
      device.read(dst, offset);
    } catch (EOFException e) {
      throw corrupt(what + ": " + e.getMessage());
    }
  }

  Ext4Exception corrupt(String problem) {
    return new Ext4Exception(Ext4Exception.Kind.CORRUPT, name + ": " + problem);
  }

  Ext4Exception error(Ext4Exception.Kind kind, String problem) {
    return new Ext4Exception(kind, name + ": " + problem);
  }
}
