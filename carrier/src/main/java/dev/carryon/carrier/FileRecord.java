package dev.carryon.carrier;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the manifest knows of one carrier file: its exact size and the SHA-256 of its bytes.
 *
 * @param size length in bytes
 * @param sha256 SHA-256 of the whole file, 64 lowercase hex digits
 */
public record FileRecord(long size, String sha256) {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public FileRecord {
    Objects.requireNonNull(sha256, "sha256");
    if (size < 0) {
      throw new IllegalArgumentException("size (" + size + ") must not be negative");
    }
    if (!SHA256.matcher(sha256).matches()) {
      throw new IllegalArgumentException("sha256 (" + sha256 + ") must be 64 lowercase hex digits");
    }
  }
}
