package dev.carryon.launcher.qemu;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Pictures of a VM's screen: QEMU's own ({@code screendump}, PNG, as large as the guest's screen
 * mode) and the small copy a generation keeps, at most {@value #SMALL_WIDTH} pixels wide, made by
 * averaging whole blocks of pixels so that the same screen always gives the same bytes of picture.
 */
public final class Screens {
  /** Widest small picture; a text console (720x400) becomes 240x134. */
  static final int SMALL_WIDTH = 320;
  /** Largest picture read: a screen mode beyond this is no screen of ours (or a crafted file). */
  private static final int MAX_SIDE = 8192;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private Screens() {}

  /**
   * Writes what {@code qemu}'s display adapter shows to {@code png}, running or paused. QEMU writes
   * the file into its own work folder; it is then moved to {@code png}.
   */
  public static void dump(QemuProcess qemu, Path png) throws IOException {
    dump(qemu, png, "png");
  }

  /**
   * Like {@link #dump}, as an uncompressed PPM: for a picture that is only {@link #shrink shrunk}
   * after, taken while the guest waits (QEMU's PNG compression took it ~20 ms more, its decoding
   * here more again).
   */
  public static void dumpForShrink(QemuProcess qemu, Path ppm) throws IOException {
    dump(qemu, ppm, "ppm");
  }

  private static void dump(QemuProcess qemu, Path to, String format) throws IOException {
    Path inQemu = qemu.workDir().resolve("screendump." + format);
    Files.deleteIfExists(inQemu);
    qemu.qmp()
        .execute("screendump", Map.of("filename", inQemu.toString(), "format", format), TIMEOUT);
    Files.move(inQemu, to, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Writes a small copy of the picture {@code full} (PNG or binary PPM) to {@code small}. */
  public static void shrink(Path full, Path small) throws IOException {
    Pixels from = pixels(full);
    int factor = Math.max(1, (from.width() + SMALL_WIDTH - 1) / SMALL_WIDTH);
    int w = from.width() / factor;
    int h = Math.max(1, from.height() / factor);
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        long r = 0;
        long g = 0;
        long b = 0;
        for (int dy = 0; dy < factor && y * factor + dy < from.height(); dy++) {
          int row = (y * factor + dy) * from.width();
          for (int dx = 0; dx < factor; dx++) {
            int rgb = from.rgb()[row + x * factor + dx];
            r += (rgb >> 16) & 0xff;
            g += (rgb >> 8) & 0xff;
            b += rgb & 0xff;
          }
        }
        long n = (long) factor * Math.min(factor, from.height() - y * factor);
        out.setRGB(x, y, (int) ((r / n) << 16 | (g / n) << 8 | (b / n)));
      }
    }
    if (!ImageIO.write(out, "png", small.toFile())) {
      throw new IOException("no PNG writer for " + small);
    }
  }

  /**
   * True when the two pictures show the same screen: the same size, and the pixels that differ (if
   * any) all inside one box no larger than a blinking text cursor or a mouse pointer at this size,
   * {@code width / 40} by {@code height / 20} and at least 4 by 4. A real guest's cursor blinks
   * between the save and the restore; another session's screen differs far beyond one such box.
   */
  public static boolean sameScreen(Path a, Path b) throws IOException {
    Pixels x = pixels(a);
    Pixels y = pixels(b);
    if (x.width() != y.width() || x.height() != y.height()) {
      return false;
    }
    int left = Integer.MAX_VALUE;
    int right = -1;
    int top = Integer.MAX_VALUE;
    int bottom = -1;
    for (int row = 0; row < x.height(); row++) {
      for (int col = 0; col < x.width(); col++) {
        int i = row * x.width() + col;
        if (x.rgb()[i] != y.rgb()[i]) {
          left = Math.min(left, col);
          right = Math.max(right, col);
          top = Math.min(top, row);
          bottom = Math.max(bottom, row);
        }
      }
    }
    return right < 0
        || (right - left < Math.max(4, x.width() / 40)
            && bottom - top < Math.max(4, x.height() / 20));
  }

  /** A picture's size and its pixels as 0xRRGGBB, row after row. */
  private record Pixels(int width, int height, int[] rgb) {}

  /** The pixels of the picture {@code file}: a binary PPM (P6, as QEMU dumps it) or a PNG. */
  private static Pixels pixels(Path file) throws IOException {
    byte[] head = new byte[2];
    try (InputStream in = Files.newInputStream(file)) {
      if (in.readNBytes(head, 0, 2) == 2 && head[0] == 'P' && head[1] == '6') {
        return ppm(file, in);
      }
    }
    BufferedImage image = read(file);
    int w = image.getWidth();
    int h = image.getHeight();
    int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] &= 0xffffff;
    }
    return new Pixels(w, h, rgb);
  }

  /**
   * The rest of a binary PPM after its magic: width, height and a maximum value of 255, each
   * after white space, one white space character, then 3 bytes a pixel.
   */
  private static Pixels ppm(Path file, InputStream in) throws IOException {
    int w = ppmNumber(file, in);
    int h = ppmNumber(file, in);
    int max = ppmNumber(file, in);
    if (w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE || max != 255) {
      throw new IOException(file + ": a " + w + "x" + h + " PPM of maximum " + max + " is no VM screen");
    }
    byte[] bytes = in.readNBytes(3 * w * h);
    if (bytes.length != 3 * w * h) {
      throw new IOException(file + ": the PPM ends after " + bytes.length + " of its " + 3 * w * h
          + " bytes of pixels");
    }
    int[] rgb = new int[w * h];
    for (int i = 0, j = 0; i < rgb.length; i++, j += 3) {
      rgb[i] = (bytes[j] & 0xff) << 16 | (bytes[j + 1] & 0xff) << 8 | (bytes[j + 2] & 0xff);
    }
    return new Pixels(w, h, rgb);
  }

  /** A decimal number of a PPM header, after white space; the one white space after it is read. */
  private static int ppmNumber(Path file, InputStream in) throws IOException {
    int c = in.read();
    while (isPpmSpace(c)) {
      c = in.read();
    }
    long n = 0;
    int digits = 0;
    for (; c >= '0' && c <= '9' && digits < 6; c = in.read(), digits++) {
      n = n * 10 + (c - '0');
    }
    if (digits == 0 || !isPpmSpace(c)) {
      throw new IOException(file + ": not a PPM picture QEMU would write (its header)");
    }
    return (int) n;
  }

  private static boolean isPpmSpace(int c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }

  /**
   * Reads a PNG, refusing one whose header claims more than {@value #MAX_SIDE} pixels a side
   * before any pixel memory is taken (a carrier's picture is untrusted).
   */
  static BufferedImage read(Path png) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(png.toFile())) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReadersByFormatName("png");
      if (readers == null || !readers.hasNext()) {
        throw new IOException(png + ": cannot be read as PNG");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE) {
          throw new IOException(png + ": a " + w + "x" + h + " picture is no VM screen");
        }
        return reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IOException(png + ": not a PNG picture: " + e.getMessage(), e);
    }
  }
}
