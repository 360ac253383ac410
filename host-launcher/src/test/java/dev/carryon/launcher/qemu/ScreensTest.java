package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which small screen pictures count as the same screen. */
class ScreensTest {
  @TempDir Path dir;

  @Test
  void aBlinkingCursorIsTheSameScreenAnotherPictureIsNot() throws IOException {
    Path saved = png("saved", 240, 133);
    assertTrue(Screens.sameScreen(saved, png("equal", 240, 133)));
    // A login prompt's underscore cursor shrunk by 3: 3 by 1 pixels, lit at the save, dark now.
    assertTrue(Screens.sameScreen(png("cursor", 240, 133, 39, 18, 3, 1), saved));
    assertFalse(Screens.sameScreen(png("line", 240, 133, 0, 40, 120, 1), saved));
    assertFalse(Screens.sameScreen(png("two places", 240, 133, 0, 0, 1, 1, 200, 100, 1, 1), saved));
    assertFalse(Screens.sameScreen(png("bigger", 320, 200), saved));
  }

  @Test
  void aPpmAsQemuDumpsItShrinksToTheSamePictureAsThePngOfItsPixels() throws IOException {
    int w = 720;
    int h = 400;
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    ByteArrayOutputStream ppm = new ByteArrayOutputStream();
    ppm.writeBytes(("P6\n" + w + " " + h + "\n255\n").getBytes(StandardCharsets.US_ASCII));
    Random random = new Random(7);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = random.nextInt(1 << 24);
        image.setRGB(x, y, rgb);
        ppm.write(rgb >> 16);
        ppm.write(rgb >> 8);
        ppm.write(rgb);
      }
    }
    Path png = dir.resolve("full.png");
    ImageIO.write(image, "png", png.toFile());
    Path raw = Files.write(dir.resolve("full.ppm"), ppm.toByteArray());
    Screens.shrink(png, dir.resolve("from-png.png"));
    Screens.shrink(raw, dir.resolve("from-ppm.png"));
    assertArrayEquals(
        Files.readAllBytes(dir.resolve("from-png.png")), Files.readAllBytes(dir.resolve("from-ppm.png")));
    assertEquals(240, ImageIO.read(dir.resolve("from-ppm.png").toFile()).getWidth());
  }

  @Test
  void aPpmThatIsNoScreenIsRefusedNamingTheFile() throws IOException {
    Map<String, byte[]> bad =
        Map.of(
            "cut", "P6\n4 4\n255\n012345".getBytes(StandardCharsets.US_ASCII),
            "huge", "P6\n100000 2\n255\n".getBytes(StandardCharsets.US_ASCII),
            "deep", "P6\n4 4\n65535\n".getBytes(StandardCharsets.US_ASCII),
            "header", "P6\n4x4\n255\n".getBytes(StandardCharsets.US_ASCII));
    for (Map.Entry<String, byte[]> e : bad.entrySet()) {
      Path file = Files.write(dir.resolve(e.getKey() + ".ppm"), e.getValue());
      IOException refused =
          assertThrows(IOException.class, () -> Screens.shrink(file, dir.resolve("small.png")));
      assertTrue(refused.getMessage().startsWith(file.toString()), refused.getMessage());
      assertFalse(Files.exists(dir.resolve("small.png")), e.getKey());
    }
  }

  /** A black picture with white boxes, each given as x, y, width, height. */
  private Path png(String name, int w, int h, int... boxes) throws IOException {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i + 3 < boxes.length; i += 4) {
      for (int y = boxes[i + 1]; y < boxes[i + 1] + boxes[i + 3]; y++) {
        for (int x = boxes[i]; x < boxes[i] + boxes[i + 2]; x++) {
          image.setRGB(x, y, 0xffffff);
        }
      }
    }
    Path file = dir.resolve(name + ".png");
    ImageIO.write(image, "png", file.toFile());
    return file;
  }
}
