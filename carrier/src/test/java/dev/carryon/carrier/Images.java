package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.carryon.cow.DiskImage;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.ImageSecrets;
import dev.carryon.cow.ImageFormat;
import dev.carryon.testdata.LuksImageOpts;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real disk images for the tests of this package: raw bases with a pattern, guest writes into qcow2
 * overlays (through cow-merge, or through {@code qemu-io}), reads through a chain found by
 * following backing names, and {@code qemu-img} as the oracle.
 */
final class Images {
  /** A guest write: {@code length} bytes of {@code fill} at {@code offset}. */
  record Write(long offset, int length, byte fill) {
    byte[] applyTo(byte[] disk) {
      byte[] out = disk.clone();
      Arrays.fill(out, (int) offset, (int) offset + length, fill);
      return out;
    }
  }

  private Images() {}

  /** A disk of {@code size} bytes whose 4 KiB block i is filled with byte {@code seed + i}. */
  static byte[] pattern(int size, int seed) {
    byte[] b = new byte[size];
    for (int at = 0; at < size; at += 4096) {
      Arrays.fill(b, at, Math.min(size, at + 4096), (byte) (seed + at / 4096));
    }
    return b;
  }

  /** {@code disk} after {@code writes}. */
  static byte[] apply(byte[] disk, List<Write> writes) {
    byte[] out = disk;
    for (Write w : writes) {
      out = w.applyTo(out);
    }
    return out;
  }

  /** Makes {@code writes} into the qcow2 overlay {@code overlay} with cow-merge. */
  static void write(Path overlay, List<Write> writes) throws IOException {
    write(overlay, writes, ImageSecrets.NONE);
  }

  /** Makes {@code writes} into {@code overlay}, its encrypted images unlocked by {@code secrets}. */
  static void write(Path overlay, List<Write> writes, ImageSecrets secrets) throws IOException {
    try (ImageChain chain =
        ImageChain.over(DiskImage.open(overlay, ImageFormat.QCOW2, true, secrets), secrets)) {
      for (Write w : writes) {
        byte[] data = new byte[w.length()];
        Arrays.fill(data, w.fill());
        chain.top().write(ByteBuffer.wrap(data), w.offset());
      }
    }
  }

  /** Makes {@code writes} into the qcow2 overlay {@code overlay} with {@code qemu-io}. */
  static void qemuIoWrite(Path overlay, List<Write> writes) throws IOException {
    List<String> args = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
    for (Write w : writes) {
      args.add("-c");
      args.add("write -P " + (w.fill() & 0xff) + " " + w.offset() + " " + w.length());
    }
    args.add(overlay.toString());
    run(0, args.toArray(String[]::new));
  }

  /** The guest-visible content of {@code top}, read through the chain its header names. */
  static byte[] read(Path top) throws IOException {
    return read(top, ImageSecrets.NONE);
  }

  /** The same, its encrypted images unlocked by {@code secrets}. */
  static byte[] read(Path top, ImageSecrets secrets) throws IOException {
    try (ImageChain chain = ImageChain.open(top, null, secrets)) {
      ByteBuffer b = ByteBuffer.allocate((int) chain.virtualSize());
      chain.read(b, 0);
      return b.array();
    }
  }

  /** The guest-visible content of {@code top} as {@code qemu-img convert -O raw} gives it. */
  static byte[] qemuRead(Path top, Path scratch) throws IOException {
    Files.deleteIfExists(scratch);
    run(0, "qemu-img", "convert", "-O", "raw", top.toString(), scratch.toString());
    byte[] b = Files.readAllBytes(scratch);
    Files.delete(scratch);
    return b;
  }

  /**
   * The qemu-img arguments that open image {@code image} (and the chain its header names) with the
   * key in {@code secretFile}, as {@code --object secret,file=} and {@code --image-opts}; plain
   * {@code image} when {@code secretFile} is null.
   */
  static List<String> opening(Path image, Path secretFile) throws IOException {
    if (secretFile == null) {
      return List.of(image.toString());
    }
    int layers;
    try (ImageChain chain = ImageChain.open(image)) {
      layers = chain.layers().size();
    }
    return List.of("--object", "secret,id=k,file=" + secretFile, "--image-opts",
        LuksImageOpts.of(image, layers, "k"));
  }

  /** {@link #qemuRead(Path, Path)} of an image opened with {@code secretFile} ({@link #opening}). */
  static byte[] qemuRead(Path top, Path scratch, Path secretFile) throws IOException {
    Files.deleteIfExists(scratch);
    List<String> c = new ArrayList<>(List.of("qemu-img", "convert"));
    c.addAll(opening(top, secretFile));
    c.addAll(List.of("-O", "raw", scratch.toString()));
    run(0, c.toArray(String[]::new));
    byte[] b = Files.readAllBytes(scratch);
    Files.delete(scratch);
    return b;
  }

  /** Runs a command, asserts its exit code is {@code exit} and returns its output. */
  static String run(int exit, String... command) throws IOException {
    Result r = exec(command);
    assertEquals(exit, r.exit(), String.join(" ", command) + " said:\n" + r.output());
    return r.output();
  }

  /** What a command printed (stdout and stderr) and its exit code. */
  record Result(int exit, String output) {}

  static Result exec(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish in 60 s");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
