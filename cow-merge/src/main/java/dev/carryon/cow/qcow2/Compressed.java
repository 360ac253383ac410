package dev.carryon.cow.qcow2;

import static dev.carryon.cow.qcow2.Qcow2Format.COMPRESSION_ZSTD;
import static dev.carryon.cow.qcow2.Qcow2Format.SECTOR;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.carryon.cow.ImageFormatException;
import dev.carryon.cow.io.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Compressed cluster descriptors and their decompression: raw deflate (zlib, the default) or a
 * zstd frame when the header's compression_type says so. The data may end inside its last sector
 * and be followed by another cluster's data, so decompression stops at one cluster.
 */
final class Compressed {
  private final Storage storage;
  private final Header header;
  /** Bits of the descriptor holding the host offset: 62 - (cluster_bits - 8). */
  private final int offsetBits;

  Compressed(Storage storage, Header header) {
    this.storage = storage;
    this.header = header;
    this.offsetBits = 62 - (header.clusterBits - 8);
  }

  /** Host byte offset of the compressed data. */
  long hostOffset(long l2Entry) {
    return l2Entry & ((1L << offsetBits) - 1);
  }

  /** Start of the first host sector the compressed data touches: what its refcounts count from. */
  long sectorStart(long l2Entry) {
    return hostOffset(l2Entry) & ~(long) (SECTOR - 1);
  }

  /** Host bytes the compressed data's sectors occupy, from {@link #sectorStart}. */
  long sectorBytes(long l2Entry) {
    return hostOffset(l2Entry) + spanBytes(l2Entry) - sectorStart(l2Entry);
  }

  /** Bytes the compressed data may span, from {@link #hostOffset} to the end of its last sector. */
  long spanBytes(long l2Entry) {
    long sectors = ((l2Entry & ~Qcow2Format.COMPRESSED & ~Qcow2Format.COPIED) >>> offsetBits) + 1;
    return sectors * SECTOR - (hostOffset(l2Entry) & (SECTOR - 1));
  }

  /** Decompresses the cluster described by {@code l2Entry} into {@code out} (one cluster). */
  void read(long l2Entry, byte[] out, long guestOffset) throws IOException {
    long off = hostOffset(l2Entry);
    long fileSize = storage.size();
    if (off >= fileSize) {
      throw new ImageFormatException(
          header.file, "compressed cluster for guest offset " + guestOffset + " points at host offset "
              + off + ", past the end of the file (" + fileSize + " bytes)");
    }
    int length = (int) Math.min(spanBytes(l2Entry), fileSize - off);
    byte[] in = new byte[length];
    storage.readFully(ByteBuffer.wrap(in), off);
    try {
      int n = header.compressionType == COMPRESSION_ZSTD ? unzstd(in, out) : inflate(in, out);
      if (n != out.length) {
        throw new ImageFormatException(
            header.file, "compressed cluster for guest offset " + guestOffset + " at host offset " + off
                + " decompresses to " + n + " bytes, not one cluster (" + out.length + ")");
      }
    } catch (DataFormatException | IOException e) {
      if (e instanceof ImageFormatException) {
        throw (ImageFormatException) e;
      }
      throw new ImageFormatException(
          header.file, "compressed cluster for guest offset " + guestOffset + " at host offset " + off
              + " cannot be decompressed: " + e.getMessage(), e);
    }
  }

  private static int inflate(byte[] in, byte[] out) throws DataFormatException {
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(in);
      int n = 0;
      while (n < out.length) {
        int got = inflater.inflate(out, n, out.length - n);
        if (got == 0 && (inflater.finished() || inflater.needsInput())) {
          break;
        }
        n += got;
      }
      return n;
    } finally {
      inflater.end();
    }
  }

  private static int unzstd(byte[] in, byte[] out) throws IOException {
    try (InputStream z = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(in))) {
      int n = 0;
      while (n < out.length) {
        int got = z.read(out, n, out.length - n);
        if (got < 0) {
          break;
        }
        n += got;
      }
      return n;
    }
  }
}
