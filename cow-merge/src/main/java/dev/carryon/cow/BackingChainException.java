package dev.carryon.cow;

import java.nio.file.Path;

/** A backing file is missing, or the chain of backing files loops back on itself. */
public class BackingChainException extends ImageException {
  private static final long serialVersionUID = 1L;

  public BackingChainException(Path file, String problem) {
    super(file, problem);
  }

  public BackingChainException(Path file, String problem, Throwable cause) {
    super(file, problem, cause);
  }
}
