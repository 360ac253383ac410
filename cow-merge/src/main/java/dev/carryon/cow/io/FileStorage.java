package dev.carryon.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** {@link Storage} over a local file; every change passes a {@link WritePoints} point first. */
public final class FileStorage implements Storage {
  /** The file, as given (for messages and write points). */
  private final Path path;
  /** Open channel; read-only unless {@link #writable}. */
  private final FileChannel channel;
  /** Whether the channel was opened for writing. */
  private final boolean writable;

  private FileStorage(Path path, FileChannel channel, boolean writable) {
    this.path = path;
    this.channel = channel;
    this.writable = writable;
  }

  /** Opens an existing file for reading only. */
  public static FileStorage openReadOnly(Path path) throws IOException {
    return new FileStorage(path, FileChannel.open(path, StandardOpenOption.READ), false);
  }

  /** Opens an existing file for reading and writing. */
  public static FileStorage openReadWrite(Path path) throws IOException {
    return new FileStorage(
        path, FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE), true);
  }

  /**
   * Creates a new, empty file (fails when it exists) open for reading and writing, its owner's
   * only ({@link OwnerOnly}): an image holds someone's disk.
   */
  public static FileStorage create(Path path) throws IOException {
    WritePoints.reach(path, "create file");
    return new FileStorage(
        path,
        OwnerOnly.open(
            path, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW),
        true);
  }

  @Override
  public long size() throws IOException {
    return channel.size();
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return channel.read(dst, position);
  }

  @Override
  public void write(ByteBuffer src, long position) throws IOException {
    WritePoints.reach(path, "write " + src.remaining() + " bytes at " + position);
    long at = position;
    while (src.hasRemaining()) {
      at += channel.write(src, at);
    }
  }

  @Override
  public void truncate(long size) throws IOException {
    WritePoints.reach(path, "truncate to " + size);
    if (size < channel.size()) {
      channel.truncate(size);
    } else if (size > channel.size()) {
      channel.write(ByteBuffer.allocate(1), size - 1);
    }
  }

  @Override
  public void force() throws IOException {
    WritePoints.reach(path, "force");
    channel.force(false);
  }

  @Override
  public boolean isWritable() {
    return writable;
  }

  @Override
  public Path path() {
    return path;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
