package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.qemuImg;

import dev.carryon.carrier.keys.KeySlots;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.ImageFormat;
import dev.carryon.cow.ImageSecrets;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An encrypted carrier's disk images as the oracle and the engine open them with the key: the
 * carrier's disk secret, unlocked from its key slots with the passphrase, in a file that qemu-img
 * reads through {@code --object secret,file=} (as carryon hands it to QEMU), and each image given
 * as {@code --image-opts} naming the secret for every layer of its chain.
 */
public final class CarrierLuks {
  /** Id of qemu-img's secret object. */
  private static final String ID = "disk";

  /** The carrier's disk secret. */
  private final byte[] secret;

  /** The file holding it. */
  private final Path secretFile;

  private CarrierLuks(byte[] secret, Path secretFile) {
    this.secret = secret;
    this.secretFile = secretFile;
  }

  /** The disk secret of the carrier in {@code folder}, written to {@code secretFile}. */
  public static CarrierLuks of(Path folder, String passphrase, Path secretFile) throws IOException {
    byte[] keys = Files.readAllBytes(folder.resolve(KeySlots.FILE));
    byte[] secret = KeySlots.parse(keys, KeySlots.FILE)
        .unlock(passphrase.toCharArray(), KeySlots.FILE).diskSecret();
    Files.write(secretFile, secret);
    return new CarrierLuks(secret, secretFile);
  }

  /** qemu-img check of {@code image} (and the chain its header names) with the key: exit 0. */
  public void check(Path image, int layers) throws IOException, InterruptedException {
    qemuImg(0, "check", "--object", object(), "--image-opts", spec(image, layers));
  }

  /**
   * qemu-img compare, with the key, of what {@code top} (whose chain, by its headers, has {@code
   * layers} images) shows the guest against the plain image {@code plain}: asserts they match.
   */
  public void assertSameContent(Path top, int layers, Path plain)
      throws IOException, InterruptedException {
    qemuImg(0, "compare", "--object", object(), "--image-opts", spec(top, layers),
        "driver=raw,file.filename=" + plain);
  }

  /** What {@code top} and its chain show the guest, by qemu-img convert with the key. */
  public byte[] view(Path top, int layers, Path scratch) throws IOException, InterruptedException {
    Path out = scratch.resolve("view.raw");
    Files.deleteIfExists(out);
    qemuImg(0, "convert", "--object", object(), "--image-opts", spec(top, layers), "-O", "raw",
        out.toString());
    byte[] bytes = Files.readAllBytes(out);
    Files.delete(out);
    return bytes;
  }

  /** Writes what {@code top} and its chain show the guest, read by the engine with the key. */
  public void engineView(Path top, Path out) throws IOException {
    try (ImageChain chain = ImageChain.open(top, ImageFormat.QCOW2, ImageSecrets.of(secret));
        FileChannel to = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
      for (long at = 0; at < chain.virtualSize(); at += buffer.capacity()) {
        buffer.clear().limit((int) Math.min(buffer.capacity(), chain.virtualSize() - at));
        chain.read(buffer, at);
        buffer.flip();
        while (buffer.hasRemaining()) {
          to.write(buffer);
        }
      }
    }
  }

  private String object() {
    return "secret,id=" + ID + ",file=" + secretFile;
  }

  /** {@code --image-opts} of qcow2 {@code top} whose chain has {@code layers} encrypted images. */
  private static String spec(Path top, int layers) {
    StringBuilder s = new StringBuilder("driver=qcow2,file.filename=" + top);
    String prefix = "";
    for (int i = 0; i < layers; i++) {
      s.append(',').append(prefix).append("encrypt.key-secret=").append(ID);
      prefix += "backing.";
    }
    return s.toString();
  }
}
