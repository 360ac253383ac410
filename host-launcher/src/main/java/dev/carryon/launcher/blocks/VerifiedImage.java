package dev.carryon.launcher.blocks;

import dev.carryon.carrier.ChunkList;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.sync.ext4.BlockDevice;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One carrier image read chunk by chunk: each chunk comes from the {@link ChunkStore} when it is
 * there, else from the carrier, checked against the image's {@link ChunkList} and kept in the
 * store; a {@link BlockDevice}, so the NBD server ({@code dev.carryon.sync.guestfs.NbdServer})
 * serves it to QEMU under its carrier name ({@link #exports}). A chunk that does not match is
 * never returned: the read fails with a {@link
 * ChunkMismatchException} naming the carrier file and offset, told to {@code problems} too, and
 * nothing is written anywhere (the next read of it tries the carrier again). Thread-safe.
 */
public final class VerifiedImage implements BlockDevice {
  /** The image's carrier name. */
  private final String image;

  /** Where the image lives, for people: its file or URL. */
  private final String where;

  /** The trusted hashes of its chunks. */
  private final ChunkList list;

  /** Reads the carrier's bytes. */
  private final ImageReader carrier;

  /** Verified chunks on this host. */
  private final ChunkStore store;

  /** Told every chunk that failed its hash, in words. */
  private final Consumer<String> problems;

  public VerifiedImage(
      String image,
      String where,
      ChunkList list,
      ImageReader carrier,
      ChunkStore store,
      Consumer<String> problems) {
    this.image = image;
    this.where = where;
    this.list = list;
    this.carrier = carrier;
    this.store = store;
    this.problems = problems;
  }

  /** The image's carrier name. */
  public String image() {
    return image;
  }

  /** {@code images} as the NBD server's exports, each under its carrier name. */
  public static Map<String, BlockDevice> exports(List<VerifiedImage> images) {
    Map<String, BlockDevice> exports = new TreeMap<>();
    for (VerifiedImage image : images) {
      exports.put(image.image, image);
    }
    return exports;
  }

  /** Bytes of the image. */
  @Override
  public long size() {
    return list.imageSize();
  }

  /** The image's chunk list. */
  public ChunkList list() {
    return list;
  }

  /**
   * Copies {@code length} bytes at {@code offset} into {@code dst} from {@code at}; fails, with
   * nothing of a bad chunk copied, when a chunk does not match its hash or cannot be read.
   */
  public void read(long offset, byte[] dst, int at, int length) throws IOException {
    if (offset < 0 || length < 0 || offset + length > size()) {
      throw new EOFException(
          "read of " + length + " bytes at " + offset + " is outside " + image + " (" + size()
              + " bytes)");
    }
    int done = 0;
    while (done < length) {
      long pos = offset + done;
      int index = (int) (pos / list.chunkSize());
      byte[] chunk = chunk(index);
      int from = (int) (pos - list.offsetOf(index));
      int n = Math.min(length - done, chunk.length - from);
      System.arraycopy(chunk, from, dst, at + done, n);
      done += n;
    }
  }

  /** Fills {@code dst}'s remaining bytes from {@code offset}; see {@link #read(long, byte[], int, int)}. */
  @Override
  public void read(ByteBuffer dst, long offset) throws IOException {
    int length = dst.remaining();
    byte[] bytes = new byte[length];
    read(offset, bytes, 0, length);
    dst.put(bytes);
  }

  /** True when chunk {@code index} is already on this host. */
  boolean cached(int index) {
    return store.has(list.hashOf(index));
  }

  /** Chunk {@code index}, verified: from the store, else from the carrier (then kept). */
  byte[] chunk(int index) throws IOException {
    byte[] hash = list.hashOf(index);
    byte[] kept = store.get(hash);
    if (kept != null) {
      return kept;
    }
    int length = list.lengthOf(index);
    byte[] bytes = new byte[length];
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    long offset = list.offsetOf(index);
    while (buf.hasRemaining()) {
      int n = carrier.read(image, offset + buf.position(), buf);
      if (n < 0) {
        throw new IOException(
            where + ": ends at " + (offset + buf.position()) + ", inside the chunk at offset "
                + offset + " (" + size() + " bytes listed)");
      }
    }
    byte[] actual = ChunkStore.sha256(bytes, length);
    if (!Arrays.equals(actual, hash)) {
      String message =
          where + ": the chunk at offset " + offset + " (" + length + " bytes) does not match its"
              + " chunk list (SHA-256 " + Hex.of(actual) + ", listed " + Hex.of(hash) + "): the"
              + " guest got an I/O error for this read, not these bytes; nothing was written to the"
              + " carrier";
      problems.accept(message);
      throw new ChunkMismatchException(message);
    }
    store.put(hash, bytes, length);
    return bytes;
  }
}
