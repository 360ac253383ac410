package dev.carryon.launcher.cli;

import dev.carryon.launcher.cli.cow.CowCommand;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
          CowCommand.class,
          dev.carryon.launcher.cli.sync.SyncCommand.class,
          dev.carryon.launcher.cli.sync.ExportCommand.class,
          WatchCommand.class,
          KeeperCommand.class);

  /** Commands whose own subcommands are built as the top-level ones are: only the one asked for. */
  private static final Map<Class<?>, List<Class<?>>> GROUPS = Map.of(CowCommand.class, CowCommand.COMMANDS);

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
   * subcommand, only that one is built, and so on down a group (such as {@code cow merge}). Help,
   * no command and an unknown command get them all, for the list and the "did you mean" hints.
   */
  static CommandLine newCommandLine(String... args) {
    CommandLine cli = new CommandLine(new Main());
    addSubcommands(cli, COMMANDS, Arrays.asList(args));
    cli.setExecutionExceptionHandler(new ErrorReporter());
    cli.setParameterExceptionHandler(ErrorReporter::handleUsageError);
    cli.setExitCodeExceptionMapper(ErrorReporter::exitCodeOf);
    return cli;
  }

  /**
   * Adds to {@code parent} the one of {@code commands} that the first word of {@code args} (not an
   * option) names, or all of them when it names none (or help); a group's own subcommands alike,
   * from the words after its name.
   */
  private static void addSubcommands(CommandLine parent, List<Class<?>> commands, List<String> args) {
    int word = 0;
    while (word < args.size() && args.get(word).startsWith("-")) {
      word++;
    }
    String requested = word < args.size() ? args.get(word) : null;
    List<Class<?>> wanted =
        commands.stream()
            .filter(c -> !"help".equals(requested) && nameOf(c).equals(requested))
            .toList();
    List<String> rest = wanted.isEmpty() ? List.of() : args.subList(word + 1, args.size());
    for (Class<?> command : wanted.isEmpty() ? commands : wanted) {
      String name = nameOf(command);
      parent.addSubcommand(name, command);
      List<Class<?>> group = GROUPS.get(command);
      if (group != null) {
        addSubcommands(parent.getSubcommands().get(name), group, rest);
      }
    }
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
