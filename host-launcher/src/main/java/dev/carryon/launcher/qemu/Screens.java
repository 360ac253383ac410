package dev.carryon.launcher.qemu;

import java.awt.image.BufferedImage;
import java.io.IOException;
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
    Path inQemu = qemu.workDir().resolve("screendump.png");
    Files.deleteIfExists(inQemu);
    qemu.qmp()
        .execute("screendump", Map.of("filename", inQemu.toString(), "format", "png"), TIMEOUT);
    Files.move(inQemu, png, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Writes a small copy of the picture {@code png} to {@code small}. */
  public static void shrink(Path png, Path small) throws IOException {
    BufferedImage full = read(png);
    int factor = Math.max(1, (full.getWidth() + SMALL_WIDTH - 1) / SMALL_WIDTH);
    int w = full.getWidth() / factor;
    int h = Math.max(1, full.getHeight() / factor);
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        long r = 0;
        long g = 0;
        long b = 0;
        for (int dy = 0; dy < factor && y * factor + dy < full.getHeight(); dy++) {
          for (int dx = 0; dx < factor; dx++) {
            int rgb = full.getRGB(x * factor + dx, y * factor + dy);
            r += (rgb >> 16) & 0xff;
            g += (rgb >> 8) & 0xff;
            b += rgb & 0xff;
          }
        }
        long n = (long) factor * Math.min(factor, full.getHeight() - y * factor);
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
    BufferedImage x = read(a);
    BufferedImage y = read(b);
    if (x.getWidth() != y.getWidth() || x.getHeight() != y.getHeight()) {
      return false;
    }
    int left = Integer.MAX_VALUE;
    int right = -1;
    int top = Integer.MAX_VALUE;
    int bottom = -1;
    for (int row = 0; row < x.getHeight(); row++) {
      for (int col = 0; col < x.getWidth(); col++) {
        if ((x.getRGB(col, row) & 0xffffff) != (y.getRGB(col, row) & 0xffffff)) {
          left = Math.min(left, col);
          right = Math.max(right, col);
          top = Math.min(top, row);
          bottom = Math.max(bottom, row);
        }
      }
    }
    return right < 0
        || (right - left < Math.max(4, x.getWidth() / 40)
            && bottom - top < Math.max(4, x.getHeight() / 20));
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
