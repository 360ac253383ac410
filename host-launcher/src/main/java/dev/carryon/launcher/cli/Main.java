package dev.carryon.launcher.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code carryon} command: entry point that dispatches to one class per subcommand. */
@Command(
    name = "carryon",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Carry a live virtual machine session on a phone or a USB drive.",
    subcommands = {
      CommandLine.HelpCommand.class,
      RunCommand.class,
      InitCommand.class,
      ResumeCommand.class,
      EndCommand.class,
      StatusCommand.class,
      VerifyCommand.class,
      LeaseCommand.class,
      dev.carryon.launcher.cli.cow.CowCommand.class,
      dev.carryon.launcher.cli.sync.SyncCommand.class,
      dev.carryon.launcher.cli.sync.ExportCommand.class,
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns its exit code; see {@link ExitCodes}. */
  public static int execute(String... args) {
    return newCommandLine().execute(args);
  }

  static CommandLine newCommandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(new ErrorReporter());
    cli.setParameterExceptionHandler(ErrorReporter::handleUsageError);
    cli.setExitCodeExceptionMapper(ErrorReporter::exitCodeOf);
    return cli;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"carryon " + (v == null ? "dev" : v)};
    }
  }
}
