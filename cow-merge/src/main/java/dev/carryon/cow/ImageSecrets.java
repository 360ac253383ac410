package dev.carryon.cow;

import java.nio.file.Path;

/**
 * The secrets that unlock encrypted images, by image: what QEMU's {@code secret} objects hold
 * ({@code encrypt.key-secret}). An image opened without its secret still maps and checks (its
 * metadata is in the clear) but refuses to read or write guest data.
 */
@FunctionalInterface
public interface ImageSecrets {
  /** No secrets: encrypted images open locked. */
  ImageSecrets NONE = image -> null;

  /**
   * The secret of the encrypted image at {@code image} (as the engine opens it: a backing file's
   * path resolved against the folder of the image that names it), or null when there is none.
   * Not asked for images that are not encrypted. The engine does not keep the array.
   */
  byte[] secretFor(Path image);

  /** The same secret for every image. */
  static ImageSecrets of(byte[] secret) {
    byte[] copy = secret.clone();
    return image -> copy.clone();
  }
}
