package dev.carryon.carrier.storage;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Size and SHA-256 of (a prefix of) a stored file, as {@link CarrierStorage#hash} computed them.
 *
 * @param size bytes hashed
 * @param sha256 their SHA-256, 64 lowercase hex digits
 */
public record Digest(long size, String sha256) {
  /** Bytes hashed per read. */
  private static final int BUFFER = 1 << 20;

  /**
   * The digest of the first {@code length} bytes of {@code in} (-1: all of it).
   *
   * @throws EOFException naming {@code where} when {@code in} ends before {@code length} bytes
   */
  public static Digest of(InputStream in, long length, String where) throws IOException {
    MessageDigest sha256 = Hex.newSha256();
    long done = 0;
    byte[] buffer = new byte[BUFFER];
    while (length < 0 || done < length) {
      int want = length < 0 ? buffer.length : (int) Math.min(buffer.length, length - done);
      int n = in.read(buffer, 0, want);
      if (n < 0) {
        break;
      }
      sha256.update(buffer, 0, n);
      done += n;
    }
    if (length >= 0 && done < length) {
      throw new EOFException(
          where + ": " + done + " bytes, shorter than the " + length + " asked to hash");
    }
    return new Digest(done, Hex.of(sha256.digest()));
  }
}
