package dev.carryon.launcher.qmp;

import java.io.IOException;

/** QEMU answered a QMP command with an error. */
public class QmpException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The command that failed, e.g. {@code migrate}. */
  private final String command;
  /** QMP's error class, e.g. {@code GenericError} or {@code CommandNotFound}. */
  private final String errorClass;
  /** QEMU's human-readable description. */
  private final String description;

  public QmpException(String command, String errorClass, String description) {
    super("QMP command '" + command + "' failed: " + errorClass + ": " + description);
    this.command = command;
    this.errorClass = errorClass;
    this.description = description;
  }

  public String command() {
    return command;
  }

  public String errorClass() {
    return errorClass;
  }

  public String description() {
    return description;
  }
}
