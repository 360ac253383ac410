package dev.carryon.sync.ext4;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A {@link BlockDevice} over a raw image file, opened read-only. */
public final class RawFileDevice implements BlockDevice, Closeable {
  /** The image, for messages. */
  private final Path file;
  /** Read-only channel on {@link #file}. */
  private final FileChannel channel;

  private RawFileDevice(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /** Opens {@code file} for reading; close the device when done. */
  public static RawFileDevice open(Path file) throws IOException {
    return new RawFileDevice(file, FileChannel.open(file, StandardOpenOption.READ));
  }

  @Override
  public long size() throws IOException {
    return channel.size();
  }

  @Override
  public void read(ByteBuffer dst, long offset) throws IOException {
    long at = offset;
    while (dst.hasRemaining()) {
      int n = channel.read(dst, at);
      if (n < 0) {
        throw new EOFException(
            file + ": read of " + dst.remaining() + " bytes at offset " + at
                + " runs past the end of the file (" + channel.size() + " bytes)");
      }
      at += n;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  @Override
  public String toString() {
    return file.toString();
  }
}
