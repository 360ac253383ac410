package dev.carryon.launcher.session;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import dev.carryon.carrier.keys.SealedChunks;
import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.cow.io.WritePoints;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A hibernation state: QEMU's migration stream as one zstd frame. Level 1 halves a test guest's
 * state; zstd's worker threads compress while the caller keeps reading from QEMU, so a save costs
 * little more than QEMU's own sending. A save goes to a file on this host through direct buffers
 * end to end (socket, zstd, file); a restore reads the state as the carrier's storage delivers it,
 * a stream (a folder's file or an HTTP body), copied once through the heap on its way to zstd.
 */
final class StateFile {
  /** zstd level used for every state file. */
  static final int ZSTD_LEVEL = 1;
  /**
   * zstd worker threads, one per core and at most four. QEMU, which produces the stream, mostly
   * waits on the socket: on the 2-core test machine two workers saved the test guest in 0.43 s
   * where one took 0.52 s (level 1 compresses at ~200 MB/s per core there; QEMU sends the raw
   * state at ~500 MB/s).
   */
  static final int WORKERS = Math.min(4, Runtime.getRuntime().availableProcessors());
  /** First bytes of every zstd frame (0xFD2FB528, little-endian). */
  private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD};
  /** Size of each direct buffer between the file and zstd. */
  private static final int BUFFER = 1 << 20;
  /** No input: what zstd is given to hand out what it holds back (FLUSH, END). */
  private static final ByteBuffer NOTHING = ByteBuffer.allocateDirect(0);
  /**
   * Input after which zstd is made to hand out what it has once: its workers hand out a job (some
   * MiB) at a time, and an end over a link sends the state as it is written, so its first bytes
   * left some 30 ms after QEMU's first; flushed, ~5 ms.
   */
  private static final int FIRST_FLUSH = 1 << 20;

  private StateFile() {}

  /**
   * A channel that compresses into {@code file} (created, must not exist). Closing it ends the zstd
   * frame and forces the file to stable storage: once QEMU has quit, this file is the only copy of
   * the guest's RAM.
   */
  static WritableByteChannel create(Path file) throws IOException {
    return create(file, null);
  }

  /**
   * Like {@link #create(Path)}; with {@code key} (an encrypted carrier's state key) the compressed
   * stream is sealed in chunks ({@link SealedChunks}) on its way to the file.
   */
  static WritableByteChannel create(Path file, byte[] key) throws IOException {
    FileChannel channel =
        OwnerOnly.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    if (key == null) {
      return new Writer(file, channel, channel, null);
    }
    // The sealer's close ends the stream; the file channel stays open for Writer to force.
    OutputStream sealer = SealedChunks.seal(new FilterOutputStream(Channels.newOutputStream(channel)) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    }, key);
    return new Writer(file, channel, Channels.newChannel(sealer), sealer);
  }

  /**
   * Like {@link #open(InputStream, String)}; with {@code key} the state is an encrypted carrier's,
   * each chunk checked ({@link SealedChunks}) before zstd, and so QEMU, sees a byte of it.
   */
  static ReadableByteChannel open(InputStream in, String name, byte[] key) throws IOException {
    if (key == null) {
      return open(in, name);
    }
    InputStream opened;
    try {
      opened = SealedChunks.open(in, key, "hibernation state " + name);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
    return open(opened, name);
  }

  /**
   * The decompressed migration stream of the state {@code in} delivers ({@code name} says where it
   * comes from, for messages); refuses a state that is not zstd, and a read fails on a state cut
   * short. Closing the channel closes {@code in}.
   */
  static ReadableByteChannel open(InputStream in, String name) throws IOException {
    try {
      byte[] magic = in.readNBytes(ZSTD_MAGIC.length);
      if (!Arrays.equals(magic, ZSTD_MAGIC)) {
        throw new IOException("hibernation state " + name + " is not a zstd stream (bad magic)");
      }
      return new Reader(name, in, magic);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** Compresses what it is given into one zstd frame in a file. */
  private static final class Writer implements WritableByteChannel {
    private final Path file;
    private final FileChannel channel;
    /** Where compressed bytes go: {@link #channel}, or the sealer in front of it. */
    private final WritableByteChannel sink;
    /** The sealer of an encrypted carrier's state; null for a plain one. */
    private final OutputStream sealer;
    private final ZstdCompressCtx zstd =
        new ZstdCompressCtx().setLevel(ZSTD_LEVEL).setChecksum(true).setWorkers(WORKERS);
    /** Compressed bytes on their way to {@link #channel}. */
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER);
    /** Where heap buffers are copied for zstd, which reads direct buffers only; made on demand. */
    private ByteBuffer staging;
    private boolean open = true;
    /** Input so far, until {@link #FIRST_FLUSH} has been reached and flushed; then -1. */
    private long beforeFlush;

    Writer(Path file, FileChannel channel, WritableByteChannel sink, OutputStream sealer) {
      this.file = file;
      this.channel = channel;
      this.sink = sink;
      this.sealer = sealer;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      int n = src.remaining();
      if (src.isDirect()) {
        compress(src, EndDirective.CONTINUE);
      } else {
        if (staging == null) {
          staging = ByteBuffer.allocateDirect(BUFFER);
        }
        while (src.hasRemaining()) {
          int chunk = Math.min(src.remaining(), staging.capacity());
          staging.clear();
          staging.put(staging.position(), src, src.position(), chunk).limit(chunk);
          src.position(src.position() + chunk);
          compress(staging, EndDirective.CONTINUE);
        }
      }
      flushFirst(n);
      return n;
    }

    /** Makes zstd hand out its output once the first {@link #FIRST_FLUSH} bytes are in. */
    private void flushFirst(int n) throws IOException {
      if (beforeFlush >= 0) {
        beforeFlush += n;
        if (beforeFlush >= FIRST_FLUSH) {
          beforeFlush = -1;
          compress(NOTHING, EndDirective.FLUSH);
        }
      }
    }

    /**
     * Feeds all of {@code src} to zstd (and with FLUSH or END, all it holds back) and writes its
     * output.
     */
    private void compress(ByteBuffer src, EndDirective directive) throws IOException {
      boolean done;
      do {
        try {
          done = zstd.compressDirectByteBufferStream(out, src, directive);
        } catch (ZstdException e) {
          throw new IOException(
              "cannot compress hibernation state " + file + ": " + e.getMessage(), e);
        }
        // No write point per chunk: a state is only of use once forced whole (see close).
        out.flip();
        while (out.hasRemaining()) {
          sink.write(out);
        }
        out.clear();
      } while (src.hasRemaining() || (directive != EndDirective.CONTINUE && !done));
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    /** Ends the frame and forces the file; a second close does nothing. */
    @Override
    public void close() throws IOException {
      if (!open) {
        return;
      }
      open = false;
      try (channel;
          zstd) {
        compress(NOTHING, EndDirective.END);
        if (sealer != null) {
          sealer.close(); // seals the final chunk
        }
        WritePoints.reach(file, "force hibernation state");
        // The caller quits QEMU next: from then on this file is the only copy of the guest's RAM.
        channel.force(true);
      }
    }
  }

  /** Decompresses one zstd frame from a stream. */
  private static final class Reader implements ReadableByteChannel {
    private final String name;
    private final InputStream source;
    private final ZstdDecompressCtx zstd = new ZstdDecompressCtx();
    /** Compressed bytes read from {@link #source}, not yet decompressed. */
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER).flip();
    /** Where {@link #source} is read into on the way to {@link #in}. */
    private final byte[] chunk = new byte[BUFFER];
    /** Where zstd writes for a heap buffer given to {@link #read}; made on demand. */
    private ByteBuffer staging;
    /** True when zstd ended a frame and has flushed all of it. */
    private boolean frameEnded;
    private boolean open = true;

    /** {@code start}: the first bytes, already read from {@code source}. */
    Reader(String name, InputStream source, byte[] start) {
      this.name = name;
      this.source = source;
      in.clear();
      in.put(start).flip();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      if (dst.isDirect()) {
        return decompress(dst);
      }
      if (staging == null) {
        staging = ByteBuffer.allocateDirect(BUFFER);
      }
      staging.clear().limit(Math.min(staging.capacity(), dst.remaining()));
      int n = decompress(staging);
      dst.put(staging.flip());
      return n;
    }

    /** Decompresses into {@code dst} until some bytes are there or the file ends. */
    private int decompress(ByteBuffer dst) throws IOException {
      int start = dst.position();
      while (dst.hasRemaining() && dst.position() == start) {
        if (!in.hasRemaining()) {
          int n = source.read(chunk);
          in.clear();
          if (n > 0) {
            in.put(chunk, 0, n);
          }
          in.flip();
          if (n < 0) {
            if (!frameEnded) {
              throw new IOException(
                  "hibernation state " + name + " is truncated: it ends inside its zstd frame");
            }
            return -1;
          }
        }
        try {
          frameEnded = zstd.decompressDirectByteBufferStream(dst, in);
        } catch (ZstdException e) {
          throw new IOException(
              "hibernation state " + name + " is damaged: zstd says " + e.getMessage(), e);
        }
      }
      return dst.position() - start;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() throws IOException {
      if (open) {
        open = false;
        try (source) {
          zstd.close();
        }
      }
    }
  }
}
