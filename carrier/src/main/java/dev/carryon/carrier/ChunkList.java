package dev.carryon.carrier;

import dev.carryon.carrier.storage.Hex;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The SHA-256 of every fixed-size chunk of one carrier image, so a reader can check any chunk it
 * reads without reading the rest of the image. The manifest records the SHA-256 of each image's
 * list ({@link ChunkLists}), so trusting the manifest means trusting every chunk.
 *
 * <p>Stored as its own carrier file ({@code chunks/<SHA-256 of the list>}), big-endian:
 *
 * <pre>
 *   0  8  magic "CYCHUNKS"
 *   8  4  list format version, {@value #FORMAT_VERSION}
 *  12  4  chunk size in bytes, a power of two from {@value #MIN_CHUNK} to {@value #MAX_CHUNK}
 *  16  8  image size in bytes
 *  24  32 x ceil(image size / chunk size): SHA-256 of each chunk, in order (the last one of the
 *         image's remaining bytes only)
 * </pre>
 *
 * A chunk's hash covers its bytes only, not its offset or image: the same bytes anywhere have the
 * same hash, so a host cache keyed by chunk hash shares them between images and generations.
 */
public final class ChunkList {
  /**
   * Chunk size of the lists this code writes: 64 KiB, the qcow2 cluster size carryon makes (and
   * QEMU's default), so one cluster QEMU reads is one chunk and never pulls in a neighbour. Hashing
   * costs the same per byte from 64 KiB up (1.6-1.8 GB/s on the test machine for 64 KiB to 1 MiB
   * chunks), and the list is 32 bytes per chunk: 0.05% of the image, 4 MiB for 8 GiB.
   */
  public static final int CHUNK_SIZE = 64 << 10;

  /** Smallest chunk size a list may have. */
  static final int MIN_CHUNK = 4 << 10;

  /** Largest chunk size a list may have. */
  static final int MAX_CHUNK = 16 << 20;

  /** Version of the list's own layout. */
  static final int FORMAT_VERSION = 1;

  /** Bytes before the first hash. */
  static final int HEADER = 24;

  /** Bytes of one chunk's hash. */
  static final int HASH = 32;

  private static final byte[] MAGIC = "CYCHUNKS".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** Bytes of each chunk but maybe the last. */
  private final int chunkSize;

  /** Bytes of the image the list describes. */
  private final long imageSize;

  /** The chunks' hashes, {@value #HASH} bytes each, in order. */
  private final byte[] hashes;

  private ChunkList(int chunkSize, long imageSize, byte[] hashes) {
    this.chunkSize = chunkSize;
    this.imageSize = imageSize;
    this.hashes = hashes;
  }

  /**
   * Hashes {@code size} bytes of {@code in} in chunks of {@code chunkSize}; every byte is also fed
   * to {@code whole} (the file's own SHA-256, so one pass gives both). Refuses a stream that ends
   * early.
   */
  static ChunkList compute(InputStream in, long size, int chunkSize, MessageDigest whole)
      throws IOException {
    checkChunkSize(chunkSize);
    long count = chunkCount(size, chunkSize);
    if (count > Integer.MAX_VALUE / HASH) {
      throw new IllegalArgumentException("image of " + size + " bytes has too many chunks");
    }
    byte[] hashes = new byte[(int) count * HASH];
    MessageDigest chunk = Hex.newSha256();
    byte[] buf = new byte[chunkSize];
    for (int i = 0; i < count; i++) {
      int want = (int) Math.min(chunkSize, size - (long) i * chunkSize);
      int n = in.readNBytes(buf, 0, want);
      if (n != want) {
        throw new IOException(
            "ended after " + ((long) i * chunkSize + n) + " of " + size + " bytes");
      }
      chunk.update(buf, 0, n);
      whole.update(buf, 0, n);
      System.arraycopy(chunk.digest(), 0, hashes, i * HASH, HASH);
    }
    return new ChunkList(chunkSize, size, hashes);
  }

  /** The list, in chunks of {@value #CHUNK_SIZE}, of an image held in memory. */
  public static ChunkList of(byte[] image) {
    try {
      return compute(new ByteArrayInputStream(image), image.length, CHUNK_SIZE, Hex.newSha256());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail to read
    }
  }

  /**
   * Reads a stored list (its hash already checked by whoever hands it over); {@code source} names
   * it in the error.
   */
  public static ChunkList parse(byte[] bytes, String source) throws CarrierException {
    if (bytes.length < HEADER
        || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
      throw new CarrierException(source + ": not a carryon chunk list (no CYCHUNKS header)");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    int version = b.getInt(8);
    if (version != FORMAT_VERSION) {
      throw new CarrierException(
          source + ": chunk list version " + version + " is not supported (this carryon reads "
              + FORMAT_VERSION + ")");
    }
    int chunkSize = b.getInt(12);
    long imageSize = b.getLong(16);
    try {
      checkChunkSize(chunkSize);
    } catch (IllegalArgumentException e) {
      throw new CarrierException(source + ": " + e.getMessage());
    }
    if (imageSize < 0 || chunkCount(imageSize, chunkSize) * HASH != bytes.length - HEADER) {
      throw new CarrierException(
          source + ": " + (bytes.length - HEADER) + " bytes of hashes for an image of "
              + imageSize + " bytes in chunks of " + chunkSize
              + " (" + Math.max(0, chunkCount(imageSize, chunkSize)) + " hashes expected)");
    }
    return new ChunkList(chunkSize, imageSize, Arrays.copyOfRange(bytes, HEADER, bytes.length));
  }

  /** The list as stored. */
  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(HEADER + hashes.length).order(ByteOrder.BIG_ENDIAN);
    b.put(MAGIC).putInt(FORMAT_VERSION).putInt(chunkSize).putLong(imageSize).put(hashes);
    return b.array();
  }

  /** Bytes of each chunk but maybe the last. */
  public int chunkSize() {
    return chunkSize;
  }

  /** Bytes of the image the list describes. */
  public long imageSize() {
    return imageSize;
  }

  /** How many chunks the image has. */
  public int count() {
    return hashes.length / HASH;
  }

  /** Offset in the image of chunk {@code index}. */
  public long offsetOf(int index) {
    return (long) checkIndex(index) * chunkSize;
  }

  /** Bytes of chunk {@code index}: the chunk size, or what is left of the image for the last. */
  public int lengthOf(int index) {
    return (int) Math.min(chunkSize, imageSize - offsetOf(index));
  }

  /** The SHA-256 of chunk {@code index}, as 32 bytes. */
  public byte[] hashOf(int index) {
    int at = checkIndex(index) * HASH;
    return Arrays.copyOfRange(hashes, at, at + HASH);
  }

  /** The first chunk whose hash differs from {@code other}'s, or -1 when the lists are equal. */
  public int firstDifference(ChunkList other) {
    if (other.chunkSize != chunkSize || other.imageSize != imageSize) {
      return 0;
    }
    int at = Arrays.mismatch(hashes, other.hashes);
    return at < 0 ? -1 : at / HASH;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChunkList c && firstDifference(c) < 0;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hashes);
  }

  private int checkIndex(int index) {
    if (index < 0 || index >= count()) {
      throw new IndexOutOfBoundsException("chunk " + index + " of " + count());
    }
    return index;
  }

  private static long chunkCount(long size, int chunkSize) {
    return (size + chunkSize - 1) / chunkSize;
  }

  private static void checkChunkSize(int chunkSize) {
    if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK || Integer.bitCount(chunkSize) != 1) {
      throw new IllegalArgumentException(
          "chunk size " + chunkSize + " is not a power of two from " + MIN_CHUNK + " to "
              + MAX_CHUNK);
    }
  }
}
