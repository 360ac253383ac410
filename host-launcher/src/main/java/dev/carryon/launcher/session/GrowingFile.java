package dev.carryon.launcher.session;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file read while another thread still appends to it (the RAM state as QEMU saves it, read by its
 * upload to the carrier): at the end of what is there, a read waits for more until the writer says
 * the file is whole ({@link #whole}) or gave up ({@link #abandon}). A read goes only up to the size
 * seen before it, which the kernel raises only once the bytes below it are in place.
 */
final class GrowingFile extends InputStream {
  /** How long a read at the end of what is there waits before it looks again. */
  private static final long POLL_MILLIS = 5;

  private final Path file;
  private final FileChannel channel;
  /** Where the next read starts. */
  private long position;
  /** Set by the writer once the file is whole and forced: its size is final. */
  private volatile boolean whole;
  /** Why the writer gave up; null while it writes or once it is done. */
  private volatile IOException abandoned;

  private GrowingFile(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /** Follows {@code file}, which the writer has created. */
  static GrowingFile follow(Path file) throws IOException {
    return new GrowingFile(file, FileChannel.open(file, StandardOpenOption.READ));
  }

  /** Tells the reader the file is whole: a read at its end now ends the stream. */
  void whole() {
    whole = true;
  }

  /** Tells the reader the writer gave up: a read at the end of what is there fails with {@code why}. */
  void abandon(IOException why) {
    abandoned = why;
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
    while (true) {
      IOException gaveUp = abandoned;
      if (gaveUp != null) {
        throw new IOException(file + " was abandoned by its writer: " + gaveUp.getMessage(), gaveUp);
      }
      // Read before the size: once whole, the size read after it is final.
      boolean done = whole;
      long size = channel.size();
      if (position < size) {
        int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, size - position)), position);
        if (n > 0) {
          position += n;
          return n;
        }
        continue;
      }
      if (done) {
        return -1;
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while following " + file);
      }
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
