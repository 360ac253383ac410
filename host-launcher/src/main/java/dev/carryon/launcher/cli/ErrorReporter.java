package dev.carryon.launcher.cli;

import java.io.FileNotFoundException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/** Maps any exception a command throws to one line on stderr and an {@link ExitCodes} value. */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {

  @Override
  public int handleExecutionException(
      Exception e, CommandLine cli, CommandLine.ParseResult parseResult) {
    cli.getErr().println("carryon: " + describe(e));
    if (exitCodeOf(e) == ExitCodes.FAILURE && System.getenv("CARRYON_DEBUG") != null) {
      e.printStackTrace(cli.getErr());
    }
    cli.getErr().flush();
    return exitCodeOf(e);
  }

  static int exitCodeOf(Throwable e) {
    if (e instanceof CarryonException) {
      return ((CarryonException) e).exitCode();
    }
    if (e instanceof CommandLine.ParameterException) {
      // picocli hands usage errors to this mapper too, once one is set.
      return ExitCodes.USAGE;
    }
    if (e instanceof NoSuchFileException || e instanceof FileNotFoundException) {
      return ExitCodes.BAD_INPUT;
    }
    if (e instanceof InterruptedException) {
      return ExitCodes.INTERRUPTED;
    }
    return ExitCodes.FAILURE;
  }

  private static String describe(Throwable e) {
    if (e instanceof NoSuchFileException) {
      return e.getMessage() + ": no such file";
    }
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message;
  }
}
