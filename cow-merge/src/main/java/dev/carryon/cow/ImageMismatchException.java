package dev.carryon.cow;

import java.nio.file.Path;

/** Two images that must match do not, for example a merge target of another virtual size. */
public class ImageMismatchException extends ImageException {
  private static final long serialVersionUID = 1L;

  public ImageMismatchException(Path file, String problem) {
    super(file, problem);
  }
}
