package dev.carryon.launcher.cli;

import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code carryon} command: entry point that dispatches to one class per subcommand. */
@Command(
    name = "carryon",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Carry a live virtual machine session on a phone or a USB drive.")
public final class Main implements Runnable {
  /** The subcommands, in the order help lists them. */
  private static final List<Class<?>> COMMANDS =
      List.of(
          CommandLine.HelpCommand.class,
          RunCommand.class,
          InitCommand.class,
          ResumeCommand.class,
          EndCommand.class,
          ScreenshotCommand.class,
          StatusCommand.class,
          VerifyCommand.class,
          LeaseCommand.class,
          PassphraseCommand.class,
          ServeCommand.class,
          PhoneCommand.class,
          dev.carryon.launcher.cli.cow.CowCommand.class,
          dev.carryon.launcher.cli.sync.SyncCommand.class,
          dev.carryon.launcher.cli.sync.ExportCommand.class,
          WatchCommand.class,
          KeeperCommand.class);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns its exit code; see {@link ExitCodes}. */
  public static int execute(String... args) {
    Passphrases.install(null); // --passphrase-file, where a command takes it, installs its own
    return newCommandLine(args).execute(args);
  }

  /** The whole command line with every subcommand: for generated docs (man pages, completion). */
  public static CommandLine commandLine() {
    return newCommandLine();
  }

  /**
   * The command line that parses {@code args}. Picocli builds a command's model from its
   * annotations by reflection, a good part of every start-up: so when {@code args} name a
   * subcommand, only that one is built. Help, no command and an unknown command get them all,
   * for the list and the "did you mean" hints.
   */
  static CommandLine newCommandLine(String... args) {
    CommandLine cli = new CommandLine(new Main());
    String requested =
        Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst().orElse(null);
    List<Class<?>> wanted =
        COMMANDS.stream()
            .filter(c -> !"help".equals(requested) && nameOf(c).equals(requested))
            .toList();
    for (Class<?> command : wanted.isEmpty() ? COMMANDS : wanted) {
      cli.addSubcommand(nameOf(command), command);
    }
    cli.setExecutionExceptionHandler(new ErrorReporter());
    cli.setParameterExceptionHandler(ErrorReporter::handleUsageError);
    cli.setExitCodeExceptionMapper(ErrorReporter::exitCodeOf);
    return cli;
  }

  private static String nameOf(Class<?> command) {
    return command.getAnnotation(Command.class).name();
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
