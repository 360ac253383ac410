package dev.carryon.carrier;

import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Writes a new carrier file in chunks while computing its size and SHA-256, and forces it to stable
 * storage on {@link #close}. Every chunk written is a write point.
 */
final class DurableOutput extends OutputStream {
  /** Bytes gathered before one write to the file. */
  static final int CHUNK = 1 << 20;

  /** The file written. */
  private final Path target;

  /** Open on {@link #target} until closed. */
  private final FileChannel channel;

  /** SHA-256 of everything written so far. */
  private final MessageDigest sha256 = newSha256();

  /** Bytes not yet written to the file. */
  private final ByteBuffer chunk = ByteBuffer.allocate(CHUNK);

  /** Bytes accepted so far. */
  private long size;

  /** Size and checksum, once closed. */
  private FileRecord record;

  DurableOutput(Path target) throws IOException {
    this.target = target;
    WritePoints.reach(target, "create");
    this.channel =
        FileChannel.open(
            target,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    if (record != null) {
      throw new IOException(target + ": written after close");
    }
    sha256.update(bytes, offset, length);
    size += length;
    while (length > 0) {
      int n = Math.min(length, chunk.remaining());
      chunk.put(bytes, offset, n);
      offset += n;
      length -= n;
      if (!chunk.hasRemaining()) {
        writeChunk();
      }
    }
  }

  /** Bytes accepted so far. */
  long size() {
    return size;
  }

  @Override
  public void close() throws IOException {
    if (record != null) {
      return;
    }
    try (channel) {
      writeChunk();
      WritePoints.reach(target, "force");
      // The manifest will soon reference this file: its bytes must be on the medium first.
      try {
        channel.force(true);
      } catch (IOException e) {
        throw named(e);
      }
    }
    record = new FileRecord(size, HexFormat.of().formatHex(sha256.digest()));
  }

  /** Size and SHA-256 of the whole file; only after {@link #close}. */
  FileRecord record() {
    if (record == null) {
      throw new IllegalStateException(target + " is still being written");
    }
    return record;
  }

  private void writeChunk() throws IOException {
    chunk.flip();
    if (chunk.hasRemaining()) {
      WritePoints.reach(target, "write");
      try {
        while (chunk.hasRemaining()) {
          channel.write(chunk);
        }
      } catch (IOException e) {
        throw named(e);
      }
    }
    chunk.clear();
  }

  /** The JDK's write and force errors name no file ("No space left on device"): add ours. */
  private IOException named(IOException e) {
    return e instanceof FileSystemException ? e : new IOException(target + ": " + e.getMessage(), e);
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
