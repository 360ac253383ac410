package dev.carryon.cow;

import java.nio.file.Path;

/**
 * An encrypted image cannot be unlocked: no secret was given for it, or the secret given opens
 * none of its key slots.
 */
public class ImageKeyException extends ImageException {
  private static final long serialVersionUID = 1L;

  public ImageKeyException(Path file, String problem) {
    super(file, problem);
  }
}
