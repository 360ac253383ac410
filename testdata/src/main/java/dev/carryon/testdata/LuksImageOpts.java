package dev.carryon.testdata;

import java.nio.file.Path;

/**
 * qemu-img's {@code --image-opts} for a LUKS-encrypted qcow2 image whose whole backing chain is
 * encrypted with one secret, the way an encrypted carrier's chains are: each layer, reached
 * through {@code backing.}, names the secret object.
 */
public final class LuksImageOpts {
  private LuksImageOpts() {}

  /**
   * The options of qcow2 image {@code top}, whose chain (by its headers) has {@code layers}
   * images, all opened by the secret object {@code secretId}.
   */
  public static String of(Path top, int layers, String secretId) {
    StringBuilder spec = new StringBuilder("driver=qcow2,file.filename=" + top);
    String prefix = "";
    for (int i = 0; i < layers; i++) {
      spec.append(',').append(prefix).append("encrypt.key-secret=").append(secretId);
      prefix += "backing.";
    }
    return spec.toString();
  }
}
