package dev.carryon.launcher.session;

import dev.carryon.cow.io.WritePoints;
import java.io.BufferedInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;

/**
 * A hibernation state on disk: QEMU's migration stream, zstd-compressed. Level 1 halves a test
 * guest's state at a speed close to the disk's, so saving stays well under a second.
 */
final class StateFile {
  /** zstd level used for every state file. */
  static final int ZSTD_LEVEL = 1;
  /** First bytes of every zstd frame (0xFD2FB528, little-endian). */
  private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD};
  private static final int BUFFER = 1 << 20;

  private StateFile() {}

  /**
   * A stream that compresses into {@code file} (created, must not exist). Closing it forces the
   * file to stable storage: once QEMU has quit, this file is the only copy of the guest's RAM.
   */
  static OutputStream create(Path file) throws IOException {
    FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    OutputStream raw = Channels.newOutputStream(channel);
    OutputStream zstd = new ZstdCompressorOutputStream(raw, ZSTD_LEVEL);
    return new FilterOutputStream(zstd) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        out.flush();
        ((ZstdCompressorOutputStream) out).finish();
        raw.flush();
        WritePoints.reach(file, "force hibernation state");
        channel.force(true);
        out.close();
      }
    };
  }

  /** The decompressed migration stream of {@code file}; refuses a file that is not zstd. */
  static InputStream open(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file), BUFFER);
    in.mark(ZSTD_MAGIC.length);
    byte[] magic = in.readNBytes(ZSTD_MAGIC.length);
    if (!Arrays.equals(magic, ZSTD_MAGIC)) {
      in.close();
      throw new IOException("hibernation state " + file + " is not a zstd stream (bad magic)");
    }
    in.reset();
    return new ZstdCompressorInputStream(in);
  }
}
