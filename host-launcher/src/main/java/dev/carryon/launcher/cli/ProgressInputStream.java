package dev.carryon.launcher.cli;

import dev.carryon.carrier.Progress;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** A stream that tells {@code progress} how many of its {@code total} bytes have been read. */
public final class ProgressInputStream extends FilterInputStream {
  private final long total;
  private final Progress progress;
  private long done;

  public ProgressInputStream(InputStream in, long total, Progress progress) {
    super(in);
    this.total = total;
    this.progress = progress;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      advanced(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = super.read(buffer, offset, length);
    if (n > 0) {
      advanced(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = super.skip(n);
    advanced(skipped);
    return skipped;
  }

  private void advanced(long n) {
    done += n;
    progress.advanced(done, total);
  }
}
