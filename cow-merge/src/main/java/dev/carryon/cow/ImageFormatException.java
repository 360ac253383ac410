package dev.carryon.cow;

import java.nio.file.Path;

/** The file is not a valid image: bad header, truncated, tables out of bounds or overlapping. */
public class ImageFormatException extends ImageException {
  private static final long serialVersionUID = 1L;

  public ImageFormatException(Path file, String problem) {
    super(file, problem);
  }

  public ImageFormatException(Path file, String problem, Throwable cause) {
    super(file, problem, cause);
  }
}
