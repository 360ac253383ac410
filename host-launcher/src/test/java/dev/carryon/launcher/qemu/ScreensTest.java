package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
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
