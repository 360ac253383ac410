package dev.carryon.carrier.keys;

import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stream encrypted and authenticated in chunks (an encrypted carrier's RAM states), so that it
 * is read as it arrives and no byte of it is handed on before its chunk proved whole and in place.
 *
 * <pre>
 *   header   "CARRYON-SEALED-2" (16 bytes), chunk size (4 bytes, big-endian), stream id (16 random
 *            bytes)
 *   chunks   ChaCha20-Poly1305 (RFC 8439) of {@link #CHUNK} bytes each, the last one shorter
 *            (possibly empty), each followed by its 16-byte tag
 * </pre>
 *
 * Each stream has a key of its own, HMAC-SHA256 of its id under the caller's key, so its chunk
 * numbers can serve as nonces without ever repeating one under a key. The nonce of chunk {@code i}
 * is {@code i} (8 bytes) and a final flag (4 bytes, 1 on the last chunk only); the header is each
 * chunk's associated data. So a flipped bit fails that chunk's tag; chunks swapped or dropped fail
 * on their number; a stream cut at a chunk boundary fails, as its last chunk was not sealed as the
 * final one; bytes after the final chunk are refused.
 *
 * <p>Why ChaCha20-Poly1305 and not AES-GCM (format 1, {@code CARRYON-SEALED-1}, refused since: no
 * carrier in the wild holds one): every {@code resume} and {@code end} is a fresh JVM, and JDK 17
 * intrinsifies GCM's GHASH only in C2-compiled callers. Measured in a fresh JVM on the 2-core test
 * machine, 40 MiB in 1 MiB chunks: AES-GCM 1.0-1.5 s (about 20 MiB go through the interpreted and
 * C1-compiled bit-by-bit GHASH, at 14 ms per MiB, before C2 catches up), ChaCha20-Poly1305 0.27 s
 * (plain integer arithmetic, fast as soon as C1 compiles it). BoringSSL's, where it loads, is
 * faster still ({@link BoringSsl}).
 */
public final class SealedChunks {
  /** Plaintext bytes per chunk. */
  public static final int CHUNK = 1 << 20;

  private static final byte[] MAGIC = "CARRYON-SEALED-2".getBytes(StandardCharsets.US_ASCII);
  /** Format 1's magic (AES-GCM), recognized only to name it in the refusal. */
  private static final byte[] MAGIC_1 = "CARRYON-SEALED-1".getBytes(StandardCharsets.US_ASCII);
  private static final int ID = 16;
  private static final int HEADER = MAGIC.length + 4 + ID;
  private static final int TAG = 16;
  /**
   * Threads sealing chunks side by side: two where there are two cores. JDK 17's ChaCha20-Poly1305
   * is plain Java, so a fresh JVM seals its first chunks slowly, in the interpreter and C1-compiled
   * code; two threads halve that while zstd's workers wait on QEMU. (measured in the commit)
   */
  static final int SEALERS = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));

  private SealedChunks() {}

  /** A stream that seals what is written into {@code out} under {@code key}; close to finish it. */
  public static OutputStream seal(OutputStream out, byte[] key) throws IOException {
    byte[] header = ByteBuffer.allocate(HEADER).put(MAGIC).putInt(CHUNK)
        .put(randomId()).array();
    out.write(header);
    return new Sealer(out, header, streamKey(key, header));
  }

  /**
   * The plaintext of the sealed stream {@code in}, checked chunk by chunk before any of it is
   * returned; {@code name} names the stream in the error that refuses it. Closing it closes {@code
   * in}.
   */
  public static InputStream open(InputStream in, byte[] key, String name) throws IOException {
    byte[] header = in.readNBytes(HEADER);
    if (header.length == HEADER && Arrays.equals(Arrays.copyOf(header, MAGIC.length), MAGIC_1)) {
      throw new IOException(name + ": sealed in format 1 (AES-GCM), which this carryon no longer"
          + " reads (it writes format 2, ChaCha20-Poly1305)");
    }
    if (header.length < HEADER
        || !Arrays.equals(Arrays.copyOf(header, MAGIC.length), MAGIC)) {
      throw new IOException(name + ": not an encrypted carrier's sealed stream (bad header)");
    }
    int chunk = ByteBuffer.wrap(header, MAGIC.length, 4).getInt();
    if (chunk != CHUNK) {
      throw new IOException(name + ": chunk size " + chunk + " is not " + CHUNK);
    }
    return new Opener(in, header, streamKey(key, header), name);
  }

  private static byte[] randomId() {
    byte[] id = new byte[ID];
    new SecureRandom().nextBytes(id);
    return id;
  }

  private static SecretKeySpec streamKey(byte[] key, byte[] header) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update("carryon sealed stream".getBytes(StandardCharsets.US_ASCII));
      mac.update(header, MAGIC.length + 4, ID);
      return new SecretKeySpec(mac.doFinal(), "ChaCha20");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  /**
   * Readies the cipher ahead of a {@link #seal} or {@link #open}: a command calls it as soon as it
   * knows it will need one, so that loading the native library ({@link BoringSsl}, which serves the
   * encrypted images' AES too) overlaps its other work.
   */
  public static void prepare() {
    BoringSsl.prepare();
  }

  /** Readies {@code c} for chunk {@code index}: its nonce, the header as associated data. */
  private static void init(Cipher c, int mode, SecretKeySpec key, byte[] header, long index,
      boolean last) throws GeneralSecurityException {
    byte[] nonce = ByteBuffer.allocate(12).putLong(index).putInt(last ? 1 : 0).array();
    c.init(mode, key, new IvParameterSpec(nonce));
    c.updateAAD(header);
  }

  /**
   * Buffers a chunk; once more bytes follow (not the last) or on close (the last), hands it to one
   * of {@link #SEALERS} threads that seal chunks side by side (each chunk's nonce is its own
   * number: chunks are independent) and write them in order, while the next chunk fills.
   */
  private static final class Sealer extends FilterOutputStream {
    /** {@code length} bytes of {@code plain} to seal as chunk {@code index}. */
    private record Chunk(byte[] plain, int length, long index, boolean last) {}

    private final byte[] header;
    private final SecretKeySpec key;
    /** Chunks handed to the workers, in order; at most one waits. */
    private final BlockingQueue<Chunk> pending = new ArrayBlockingQueue<>(1);
    /** Buffers the workers are done with. */
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(SEALERS + 2);
    private final Thread[] workers = new Thread[SEALERS];
    /** Guards {@link #written}: a worker writes its sealed chunk only on its turn. */
    private final Object turn = new Object();
    /** Chunks written to {@code out} so far. */
    private long written;
    /** Why a worker failed; every write after that fails too. */
    private volatile IOException failed;
    private byte[] plain;
    private int filled;
    private long index;
    private boolean closed;

    Sealer(OutputStream out, byte[] header, SecretKeySpec key) {
      super(out);
      this.header = header;
      this.key = key;
      plain = new byte[CHUNK];
      for (int i = 0; i <= SEALERS; i++) {
        free.add(new byte[CHUNK]);
      }
      for (int i = 0; i < SEALERS; i++) {
        workers[i] = new Thread(this::work, "seal-" + i);
        workers[i].setDaemon(true);
        workers[i].start();
      }
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (filled == CHUNK) {
          emit(false);
          plain = take(free);
        }
        int n = Math.min(len, CHUNK - filled);
        System.arraycopy(b, off, plain, filled, n);
        filled += n;
        off += n;
        len -= n;
      }
    }

    /** Hands the chunk in {@link #plain} to the workers. */
    private void emit(boolean last) throws IOException {
      Chunk c = new Chunk(plain, filled, index, last);
      while (true) {
        requireNotFailed();
        try {
          if (pending.offer(c, 100, TimeUnit.MILLISECONDS)) {
            break;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while sealing chunk " + index);
        }
      }
      index++;
      plain = null;
      filled = 0;
    }

    /** The next buffer the workers are done with. */
    private byte[] take(BlockingQueue<byte[]> q) throws IOException {
      while (true) {
        requireNotFailed();
        try {
          byte[] b = q.poll(100, TimeUnit.MILLISECONDS);
          if (b != null) {
            return b;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while sealing");
        }
      }
    }

    private void requireNotFailed() throws IOException {
      IOException e = failed;
      if (e != null) {
        throw new IOException(e.getMessage(), e);
      }
    }

    /**
     * A worker: seals each chunk it takes and writes it on its turn (after every chunk before it),
     * up to the last chunk, a failure, or its stop.
     */
    private void work() {
      Cipher cipher = BoringSsl.chaCha20Poly1305();
      byte[] sealed = new byte[CHUNK + TAG];
      try {
        while (true) {
          Chunk c = pending.take();
          int n;
          try {
            init(cipher, Cipher.ENCRYPT_MODE, key, header, c.index(), c.last());
            n = cipher.doFinal(c.plain(), 0, c.length(), sealed, 0);
          } catch (GeneralSecurityException e) {
            throw new IOException("cannot seal chunk " + c.index(), e);
          }
          free.put(c.plain());
          synchronized (turn) {
            while (written != c.index()) {
              if (failed != null) {
                return;
              }
              turn.wait();
            }
            out.write(sealed, 0, n);
            written++;
            turn.notifyAll();
          }
          if (c.last()) {
            return;
          }
        }
      } catch (IOException e) {
        fail(e);
      } catch (RuntimeException e) {
        fail(new IOException("cannot seal: " + e, e));
      } catch (InterruptedException e) {
        // stopped
      }
    }

    private void fail(IOException e) {
      synchronized (turn) {
        failed = e;
        turn.notifyAll();
      }
    }

    /** Bytes of whole chunks reach {@code out} as the workers write them; a partial one waits. */
    @Override
    public void flush() throws IOException {
      requireNotFailed();
    }

    /** Seals the last chunk, waits for every chunk to be written, then closes {@code out}. */
    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try (OutputStream o = out) {
        emit(true);
        synchronized (turn) {
          while (written != index && failed == null) {
            turn.wait();
          }
        }
        requireNotFailed();
        o.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while sealing the last chunk");
      } finally {
        for (Thread w : workers) {
          w.interrupt();
        }
      }
    }
  }

  /**
   * Reads and checks the chunks on a thread of its own, one chunk ahead of the reader, so that the
   * cipher works while whoever reads (zstd, QEMU) works on the chunk before; hands out a chunk's
   * plaintext only once its tag checked, and nothing after a chunk that failed.
   */
  private static final class Opener extends InputStream {
    /** A checked chunk's plaintext ({@code length} bytes of {@code plain}), or why it failed. */
    private record Chunk(byte[] plain, int length, boolean last, IOException refused) {}

    private final InputStream in;
    private final byte[] header;
    private final SecretKeySpec key;
    private final String name;
    /** Chunks checked by the worker, in order; at most one waits. */
    private final BlockingQueue<Chunk> ready = new ArrayBlockingQueue<>(1);
    /** Plaintext buffers the reader is done with: the one it reads and one being filled. */
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(2);
    private final Thread worker;
    /** The chunk being read, or null before the first. */
    private Chunk current;
    private int pos;
    /** Why the stream was refused; every read after that refuses again. */
    private IOException refused;

    Opener(InputStream in, byte[] header, SecretKeySpec key, String name) {
      this.in = in;
      this.header = header;
      this.key = key;
      this.name = name;
      free.add(new byte[CHUNK]);
      free.add(new byte[CHUNK]);
      worker = new Thread(this::work, "open " + name);
      worker.setDaemon(true);
      worker.start();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (current == null || pos == current.length()) {
        if (refused != null) {
          throw new IOException(refused.getMessage(), refused);
        }
        if (current != null) {
          if (current.last()) {
            return -1;
          }
          free.add(current.plain());
        }
        try {
          current = ready.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException(name + ": interrupted while reading");
        }
        pos = 0;
        if (current.refused() != null) {
          refused = current.refused();
          current = null;
          throw refused;
        }
      }
      int n = Math.min(len, current.length() - pos);
      System.arraycopy(current.plain(), pos, b, off, n);
      pos += n;
      return n;
    }

    /** The worker: every chunk read, checked and queued, up to the last or the first failure. */
    private void work() {
      Cipher cipher = BoringSsl.chaCha20Poly1305();
      byte[] sealed = new byte[CHUNK + TAG + 1];
      int ahead = -1; // a byte read past the previous chunk, or -1
      try {
        for (long index = 0; ; index++) {
          byte[] plain = free.take();
          Chunk c;
          try {
            int have = 0;
            if (ahead >= 0) {
              sealed[have++] = (byte) ahead;
            }
            // One byte more than a chunk: whether anything follows tells whether it is the last.
            have += in.readNBytes(sealed, have, CHUNK + TAG + 1 - have);
            boolean last = have <= CHUNK + TAG;
            ahead = last ? -1 : sealed[CHUNK + TAG] & 0xff;
            c = new Chunk(plain, open(cipher, sealed, last ? have : CHUNK + TAG, plain, index,
                last), last, null);
          } catch (IOException e) {
            c = new Chunk(null, 0, true, e);
          } catch (RuntimeException e) {
            c = new Chunk(null, 0, true, new IOException(name + ": cannot read chunk " + index, e));
          }
          ready.put(c);
          if (c.last()) {
            return;
          }
        }
      } catch (InterruptedException e) {
        // closed by the reader
      }
    }

    /** Checks chunk {@code index}, {@code length} bytes of {@code sealed}, into {@code plain}. */
    private int open(Cipher cipher, byte[] sealed, int length, byte[] plain, long index,
        boolean last) throws IOException {
      if (length < TAG) {
        throw new EOFException(name + ": cut short in chunk " + index + " (" + length
            + " bytes, less than a tag); refused");
      }
      try {
        init(cipher, Cipher.DECRYPT_MODE, key, header, index, last);
        // The tag is checked before a byte is decrypted into plain (RFC 8439's AEAD decryption).
        return cipher.doFinal(sealed, 0, length, plain, 0);
      } catch (AEADBadTagException e) {
        throw new IOException(name + ": chunk " + index + " fails its check (altered, moved, or"
            + " the stream was cut" + (last ? " after it" : "") + "); refused", e);
      } catch (GeneralSecurityException e) {
        throw new IOException(name + ": cannot open chunk " + index, e);
      }
    }

    @Override
    public void close() throws IOException {
      worker.interrupt();
      in.close();
    }
  }
}
