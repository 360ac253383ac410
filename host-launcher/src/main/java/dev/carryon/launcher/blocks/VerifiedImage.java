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
  /** Most bytes read from the carrier in one go: the keeper's heap is small (128 MiB). */
  private static final int RUN_BYTES = 1 << 20;

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
    if (length == 0) {
      return;
    }
    int first = (int) (offset / list.chunkSize());
    byte[][] chunks = chunks(first, (int) ((offset + length - 1) / list.chunkSize()));
    int done = 0;
    while (done < length) {
      long pos = offset + done;
      int index = (int) (pos / list.chunkSize());
      byte[] chunk = chunks[index - first];
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
    return chunks(index, index)[0];
  }

  /**
   * Chunks {@code first} to {@code last}, verified: from the store, else from the carrier (then
   * kept), each run of chunks the store lacks in one ranged read (one round trip over a link).
   */
  private byte[][] chunks(int first, int last) throws IOException {
    byte[][] out = new byte[last - first + 1][];
    for (int i = first; i <= last; ) {
      byte[] kept = store.get(list.hashOf(i));
      if (kept != null) {
        out[i - first] = kept;
        i++;
        continue;
      }
      int end = i + 1;
      int most = i + Math.max(1, RUN_BYTES / list.chunkSize());
      while (end <= last && end < most && !store.has(list.hashOf(end))) {
        end++;
      }
      fetch(i, end, out, first);
      i = end;
    }
    return out;
  }

  /** Reads chunks {@code from} to {@code to} (exclusive) from the carrier in one read; verifies each. */
  private void fetch(int from, int to, byte[][] out, int first) throws IOException {
    long offset = list.offsetOf(from);
    int length = (int) (list.offsetOf(to - 1) + list.lengthOf(to - 1) - offset);
    byte[] bytes = new byte[length];
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      int n = carrier.read(image, offset + buf.position(), buf);
      if (n < 0) {
        throw new IOException(
            where + ": ends at " + (offset + buf.position()) + ", inside the chunks from offset "
                + offset + " (" + size() + " bytes listed)");
      }
    }
    for (int i = from; i < to; i++) {
      int at = (int) (list.offsetOf(i) - offset);
      byte[] chunk = Arrays.copyOfRange(bytes, at, at + list.lengthOf(i));
      byte[] hash = list.hashOf(i);
      byte[] actual = ChunkStore.sha256(chunk, chunk.length);
      if (!Arrays.equals(actual, hash)) {
        String message =
            where + ": the chunk at offset " + list.offsetOf(i) + " (" + chunk.length + " bytes)"
                + " does not match its chunk list (SHA-256 " + Hex.of(actual) + ", listed "
                + Hex.of(hash) + "): the guest got an I/O error for this read, not these bytes;"
                + " nothing was written to the carrier";
        problems.accept(message);
        throw new ChunkMismatchException(message);
      }
      store.put(hash, chunk, chunk.length);
      out[i - first] = chunk;
    }
  }
}
