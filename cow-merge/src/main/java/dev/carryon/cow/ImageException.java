package dev.carryon.cow;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An image cannot be used as asked. The message starts with the file and says what is wrong;
 * subclasses say which kind of problem it is.
 */
public class ImageException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The image at fault. */
  private final transient Path file;

  public ImageException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  public ImageException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The image at fault. */
  public Path file() {
    return file;
  }
}
