package dev.carryon.cow;

import java.nio.file.Path;

/** A valid image that uses something this engine does not do (unknown feature bits, encryption). */
public class UnsupportedImageException extends ImageException {
  private static final long serialVersionUID = 1L;

  public UnsupportedImageException(Path file, String problem) {
    super(file, problem);
  }
}
