package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.qemuImg;
import static org.junit.jupiter.api.Assertions.fail;

import dev.carryon.carrier.keys.KeySlots;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.ImageFormat;
import dev.carryon.cow.ImageSecrets;
import dev.carryon.launcher.qemu.QemuTool;
import dev.carryon.testdata.LuksImageOpts;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

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
  public void check(Path image) throws IOException, InterruptedException {
    qemuImg(0, "check", "--object", object(), "--image-opts", spec(image));
  }

  /**
   * Whether what {@code top} and the chain its headers name show the guest is what the raw image
   * {@code raw} holds: qemu-img compare with the key.
   */
  public boolean sameContent(Path top, Path raw) throws IOException, InterruptedException {
    List<String> command = List.of(QemuTool.IMG.locate().toString(), "compare", "-q", "--object",
        object(), "--image-opts", spec(top), "driver=raw,file.filename=" + raw);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    if (p.exitValue() > 1) {
      fail(String.join(" ", command) + " failed: " + out);
    }
    return p.exitValue() == 0;
  }

  /** Writes to {@code raw} what {@code top} and its chain show the guest: qemu-img convert. */
  public Path toRaw(Path top, Path raw) throws IOException, InterruptedException {
    Files.deleteIfExists(raw);
    qemuImg(0, "convert", "--object", object(), "--image-opts", spec(top), "-O", "raw",
        raw.toString());
    return raw;
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

  /**
   * {@code --image-opts} of qcow2 {@code top} and the chain its headers name (counted by the
   * engine, which opens an encrypted image's metadata without the key), every layer encrypted.
   */
  private static String spec(Path top) throws IOException {
    int layers;
    try (ImageChain chain = ImageChain.open(top)) {
      layers = chain.layers().size();
    }
    return LuksImageOpts.of(top, layers, ID);
  }
}
