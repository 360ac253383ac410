package dev.carryon.launcher.cli;

import dev.carryon.carrier.CarrierBusyException;
import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.LeaseException;
import dev.carryon.carrier.client.ServerUnreachableException;
import dev.carryon.carrier.protocol.ErrorCode;
import dev.carryon.carrier.protocol.ProtocolException;
import dev.carryon.cow.ImageException;
import java.io.FileNotFoundException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Maps any exception a command throws to one line on stderr and an {@link ExitCodes} value. One
 * class for picocli's three handler interfaces, not lambdas: picocli's classes are Java 5 class
 * files, and the class-data archive drops a Java 5 interface that a lambda made it link at dump time
 * (with every class implementing it, picocli's own default handlers too), so each start read them
 * from the jar.
 */
final class ErrorReporter
    implements CommandLine.IExecutionExceptionHandler,
        CommandLine.IParameterExceptionHandler,
        CommandLine.IExitCodeExceptionMapper {

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

  /** A command-line mistake: one line naming it and where help is, never a page of usage. */
  @Override
  public int handleParseException(CommandLine.ParameterException e, String[] args) {
    CommandLine cli = e.getCommandLine();
    cli.getErr()
        .println(
            "carryon: " + e.getMessage() + " (see: " + cli.getCommandSpec().qualifiedName()
                + " --help)");
    cli.getErr().flush();
    return ExitCodes.USAGE;
  }

  @Override
  public int getExitCode(Throwable e) {
    return exitCodeOf(e);
  }

  static int exitCodeOf(Throwable e) {
    if (e instanceof CarryonException) {
      return ((CarryonException) e).exitCode();
    }
    if (e instanceof CommandLine.ParameterException) {
      return ExitCodes.USAGE; // picocli asks this mapper for command-line errors too
    }
    if (e instanceof LeaseException || e instanceof CarrierBusyException) {
      return ExitCodes.REFUSED;
    }
    if (e instanceof ProtocolException) {
      // A carrier server said no: to a token (refused on purpose) or to what it was sent.
      ErrorCode code = ((ProtocolException) e).code();
      return code == ErrorCode.UNAUTHORIZED || code == ErrorCode.LOCKED
          ? ExitCodes.REFUSED
          : code == ErrorCode.UNSUPPORTED_PROTOCOL ? ExitCodes.BAD_INPUT : ExitCodes.FAILURE;
    }
    if (e instanceof NoSuchFileException
        || e instanceof ServerUnreachableException // a carrier that is not there, as a folder
        || e instanceof FileNotFoundException
        || e instanceof ImageException
        || e instanceof CarrierException) {
      // A carrier or image that is damaged, foreign, or not what the command needs.
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
