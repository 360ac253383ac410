package dev.carryon.cow;

import dev.carryon.cow.io.Buffers;
import dev.carryon.cow.io.FileStorage;
import dev.carryon.cow.io.Storage;
import dev.carryon.cow.qcow2.Qcow2;
import dev.carryon.cow.raw.Raw;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * One image file (one layer of a backing chain). Guest bytes this layer does not define read
 * from the backing image {@linkplain #attachBacking attached} to it, or as zeros when none is;
 * {@link ImageChain} attaches the whole chain.
 *
 * <p>Writes may be buffered in metadata caches: {@link #flush} (and {@link #close}) make them
 * durable in the order that keeps the image consistent at any cut.
 */
public interface DiskImage extends Closeable {

  /** Opens the image at {@code path}, probing its format. */
  static DiskImage open(Path path, boolean writable) throws IOException {
    return open(path, null, writable);
  }

  /** Opens the image at {@code path} as {@code format} (null: probe); an encrypted one opens locked. */
  static DiskImage open(Path path, ImageFormat format, boolean writable) throws IOException {
    return open(path, format, writable, ImageSecrets.NONE);
  }

  /**
   * Opens the image at {@code path} as {@code format} (null: probe), unlocking an encrypted one
   * with its secret from {@code secrets}; a wrong secret is refused ({@link ImageKeyException}).
   */
  static DiskImage open(Path path, ImageFormat format, boolean writable, ImageSecrets secrets) throws IOException {
    Storage storage = writable ? FileStorage.openReadWrite(path) : FileStorage.openReadOnly(path);
    try {
      return open(storage, format, secrets);
    } catch (IOException | RuntimeException e) {
      storage.close();
      throw e;
    }
  }

  /**
   * Opens the image in {@code storage} as {@code format} (null: probe); writable when the storage
   * is; an encrypted one opens locked. The image owns the storage from now on and closes it.
   */
  static DiskImage open(Storage storage, ImageFormat format) throws IOException {
    return open(storage, format, ImageSecrets.NONE);
  }

  /**
   * {@link #open(Storage, ImageFormat)}, unlocking an encrypted image with its secret from {@code
   * secrets} (asked for {@code storage.path()}); a wrong secret is refused ({@link
   * ImageKeyException}) and the storage stays the caller's.
   */
  static DiskImage open(Storage storage, ImageFormat format, ImageSecrets secrets) throws IOException {
    ImageFormat f = format != null ? format : probe(storage);
    if (f == ImageFormat.RAW) {
      return Raw.open(storage);
    }
    return Qcow2.open(storage, secrets);
  }

  /** The format of the image in {@code storage}: qcow2 when it starts with the qcow2 magic. */
  static ImageFormat probe(Storage storage) throws IOException {
    return Qcow2.hasMagic(storage) ? ImageFormat.QCOW2 : ImageFormat.RAW;
  }

  ImageFormat format();

  /** The file, for messages. */
  Path path();

  /** Guest-visible size in bytes. */
  long virtualSize();

  /** Backing file name as recorded in the image, or null. */
  String backingFileName();

  /** Backing format as recorded in the image, or null when not recorded. */
  String backingFormat();

  boolean isWritable();

  /** Whether guest data is stored encrypted (qcow2 with LUKS). */
  default boolean isEncrypted() {
    return false;
  }

  /**
   * Refuses, changing nothing, when this layer's data cannot be read or written: an encrypted
   * image opened without its secret ({@link ImageKeyException}).
   */
  default void prepareRead() throws IOException {}

  /** Reads of bytes this layer does not define go to {@code backing} from now on. */
  void attachBacking(DiskImage backing);

  /**
   * Reads {@code dst.remaining()} guest bytes at {@code guestOffset} (within the virtual size).
   * Several threads may read at once, while nothing writes to the image.
   */
  void read(ByteBuffer dst, long guestOffset) throws IOException;

  /**
   * Reads consecutive pieces into {@code dst}, from its position (which it moves past them), {@code lengths[i]} guest bytes at
   * {@code guestOffsets[i]} for each i in turn, as one call: pieces that lie next to each other in
   * the image's file may be read as one (one request instead of several to a carrier behind HTTP).
   * Several threads may read at once, while nothing writes to the image.
   */
  default void read(ByteBuffer dst, long[] guestOffsets, int[] lengths) throws IOException {
    int at = dst.position();
    for (int i = 0; i < guestOffsets.length; i++) {
      read(Buffers.slice(dst, at, lengths[i]), guestOffsets[i]);
      at += lengths[i];
    }
    Buffers.position(dst, at);
  }

  /** Writes guest bytes at {@code guestOffset}; bytes past the virtual size are refused. */
  void write(ByteBuffer src, long guestOffset) throws IOException;

  /**
   * Writes consecutive pieces of {@code src}, from its position, {@code lengths[i]} bytes at guest
   * offset {@code guestOffsets[i]} for each i in turn, as one call: pieces that land next to each
   * other in the image's file may go out as one write.
   */
  default void write(ByteBuffer src, long[] guestOffsets, int[] lengths) throws IOException {
    int at = src.position();
    for (int i = 0; i < guestOffsets.length; i++) {
      write(Buffers.slice(src, at, lengths[i]), guestOffsets[i]);
      at += lengths[i];
    }
  }

  /** Makes {@code length} guest bytes at {@code guestOffset} read as zeros. */
  void writeZeroes(long guestOffset, long length) throws IOException;

  /**
   * Loads and validates the metadata a write to this guest range would use, changing nothing, so
   * that a caller can refuse bad input before the first byte is written.
   */
  void prepareWrite(long guestOffset, long length) throws IOException;

  /**
   * Allocation of this layer alone over {@code [start, start + length)}, depth 0; runs this layer
   * does not define are {@code present == false}.
   */
  List<Extent> mapLayer(long start, long length) throws IOException;

  /** Bytes written to the image's storage since it was opened (data and metadata). */
  long bytesWritten();

  /** Makes all writes so far durable. */
  void flush() throws IOException;

  /** Flushes (when writable) and closes the storage. */
  @Override
  void close() throws IOException;
}
