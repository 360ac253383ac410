package dev.carryon.launcher.session;

import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * A RAM state as it streams from the carrier into QEMU's incoming migration, hashed on the way: the
 * state is checked against its manifest record while QEMU restores it, and the guest continues
 * only once {@link #requireRecorded} has passed (QEMU holds a restored guest paused until told to
 * continue). Checking as it streams costs no read of its own; checking up front would read the
 * state twice.
 */
final class CheckedState extends FilterInputStream {
  /** The size and SHA-256 the manifest records. */
  private final FileRecord recorded;

  /** The state's carrier file, for messages. */
  private final String where;

  /** SHA-256 of every byte read so far. */
  private final MessageDigest digest = Hex.newSha256();

  /** Bytes read so far. */
  private long read;

  CheckedState(InputStream in, FileRecord recorded, String where) {
    super(in);
    this.recorded = recorded;
    this.where = where;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      digest.update((byte) b);
      read++;
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = super.read(buffer, offset, length);
    if (n > 0) {
      digest.update(buffer, offset, n);
      read += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Every byte must pass the digest: skipping reads.
    long skipped = 0;
    byte[] buffer = new byte[8192];
    while (skipped < n) {
      int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  /**
   * Reads what QEMU left of the state (a zstd frame may be followed by nothing, else the state is
   * wrong) and refuses, exit 3, unless its size and SHA-256 are the recorded ones. Reads at most
   * one byte past the recorded size.
   */
  void requireRecorded() throws IOException {
    byte[] buffer = new byte[1 << 16];
    while (read <= recorded.size()) {
      int n = read(buffer, 0, (int) Math.min(buffer.length, recorded.size() + 1 - read));
      if (n < 0) {
        break;
      }
    }
    String problem =
        read != recorded.size()
            ? (read > recorded.size() ? "is longer than" : "has " + read + " bytes, not")
                + " the " + recorded.size() + " bytes its record says"
            : !Hex.of(digest.digest()).equals(recorded.sha256())
                ? "does not match the SHA-256 its record says (" + recorded.sha256() + ")"
                : null;
    if (problem != null) {
      throw new CarryonException(ExitCodes.BAD_INPUT, mismatch(where, problem));
    }
  }

  /** The message for a state that is not the recorded one. */
  static String mismatch(String where, String problem) {
    return "hibernation state " + where + " " + problem + ": the guest was not continued, QEMU"
        + " was stopped and the lease released; nothing was written to the carrier";
  }
}
