package dev.carryon.launcher.cli;

/**
 * A failure the user can act on: its message is printed as one line and the command exits with
 * {@link #exitCode()}.
 */
public class CarryonException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** One of {@link ExitCodes}. */
  private final int exitCode;

  public CarryonException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public CarryonException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
