package dev.carryon.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.carrier.client.ClientThreads;
import dev.carryon.launcher.cli.cow.CowCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code carryon} command: entry point that dispatches to one class per subcommand. Its own
 * model is built in code ({@link SpecCommand}), so a command built in code too (such as {@code cow
 * merge}) starts without picocli reading a single annotation.
 */
public final class Main implements Runnable, SpecCommand {
  /**
   * The subcommands, in the order help lists them: classes whose annotations picocli reads, and
   * factories of commands built in code.
   */
  private static final List<Object> COMMANDS =
      List.of(
          CommandLine.HelpCommand.class,
          RunCommand.class,
          InitCommand.class,
          (Supplier<SpecCommand>) ResumeCommand::new,
          EndCommand.class,
          ScreenshotCommand.class,
          StatusCommand.class,
          VerifyCommand.class,
          LeaseCommand.class,
          PassphraseCommand.class,
          ServeCommand.class,
          PhoneCommand.class,
          (Supplier<SpecCommand>) CowCommand::new,
          dev.carryon.launcher.cli.sync.SyncCommand.class,
          dev.carryon.launcher.cli.sync.ExportCommand.class,
          WatchCommand.class,
          AgentCommand.class,
          (Supplier<SpecCommand>) KeeperCommand::new);

  private final CommandSpec spec =
      SpecCommand.command(this, "carryon", "Carry a live virtual machine session on a phone or a USB drive.")
          .versionProvider(new Version());

  public static void main(String[] args) {
    // Else picocli looks for Groovy's Closure class: a search of the whole jar, which a command
    // whose classes all come from the class-data archive never needs to open.
    System.setProperty("picocli.disable.closures", "true");
    warmJson(args);
    int code = execute(args);
    // Else the exit waits 0.3 s for the HTTP clients' threads. Not in the keeper, whose shutdown
    // hook may still read the carrier (its hoard) and ends them itself.
    if (args.length == 0 || !args[0].equals(KeeperCommand.NAME)) {
      ClientThreads.endOfProcess();
    }
    System.exit(code);
  }

  /**
   * Makes Jackson ready on a thread of its own while picocli parses the command line: the first
   * ObjectMapper of a JVM costs 0.10-0.15 s, and whichever reader of JSON came first paid it on
   * its way (an encrypted carrier's key slots are JSON: its KDF started 0.65-0.86 s into a resume,
   * 0.28-0.45 s with this). Not for the cow commands, short and mostly without JSON, nor for a
   * bare {@code carryon} or {@code --version}.
   */
  private static void warmJson(String[] args) {
    if (args.length == 0 || args[0].equals(CowCommand.NAME) || args[0].startsWith("-")) {
      return;
    }
    Thread warm =
        new Thread(
            () -> {
              try {
                new ObjectMapper().readTree("{}");
              } catch (IOException e) {
                // Only a warm-up: the command's own reads report their errors.
              }
            },
            "json warm-up");
    warm.setDaemon(true);
    warm.start();
  }

  /** Runs the CLI and returns its exit code; see {@link ExitCodes}. */
  public static int execute(String... args) {
    Passphrases.install(null); // --passphrase-file, where a command takes it, installs its own
    return newCommandLine(args).execute(args);
  }

  /**
   * Runs the CLI as {@link #execute(String...)} does, its output to {@code out} and {@code err}
   * (a command the host agent runs for its launcher script).
   */
  static int execute(PrintWriter out, PrintWriter err, String... args) {
    Passphrases.install(null);
    CommandLine cli = newCommandLine(args);
    cli.setOut(out);
    cli.setErr(err);
    return cli.execute(args);
  }

  /** The whole command line with every subcommand: for generated docs (man pages, completion). */
  public static CommandLine commandLine() {
    return newCommandLine();
  }

  /**
   * The command line that parses {@code args}. Picocli builds an annotated command's model by
   * reflection, a good part of every start-up: so when {@code args} name a subcommand, only that one
   * is built, and so on down a group (such as {@code cow merge}). Help, no command and an unknown
   * command get them all, for the list and the "did you mean" hints.
   */
  static CommandLine newCommandLine(String... args) {
    CommandLine cli = new CommandLine(new Main().spec());
    addSubcommands(cli, COMMANDS, Arrays.asList(args));
    ErrorReporter errors = new ErrorReporter();
    cli.setExecutionExceptionHandler(errors);
    cli.setParameterExceptionHandler(errors);
    cli.setExitCodeExceptionMapper(errors);
    return cli;
  }

  /**
   * Adds to {@code parent} the one of {@code commands} that the first word of {@code args} (not an
   * option) names, or all of them when it names none (or help); a group's own subcommands alike,
   * from the words after its name.
   */
  private static void addSubcommands(CommandLine parent, List<?> commands, List<String> args) {
    int word = 0;
    while (word < args.size() && args.get(word).startsWith("-")) {
      word++;
    }
    String requested = word < args.size() && !"help".equals(args.get(word)) ? args.get(word) : null;
    Object wanted = requested == null ? null : named(commands, requested);
    List<String> rest = wanted == null ? List.of() : args.subList(word + 1, args.size());
    for (Object entry : wanted == null ? commands : List.of(wanted)) {
      Object command = entry instanceof Supplier<?> factory ? factory.get() : entry;
      if (command instanceof SpecCommand built) {
        CommandLine sub = new CommandLine(built.spec());
        parent.addSubcommand(built.spec().name(), sub);
        addSubcommands(sub, built.subcommands(), rest);
      } else {
        parent.addSubcommand(nameOf((Class<?>) command), command);
      }
    }
  }

  /**
   * The command of {@code commands} named {@code name} (made, when built in code), or null. The
   * commands built in code are looked at first: finding one of them reads no annotation at all.
   */
  private static Object named(List<?> commands, String name) {
    for (Object entry : commands) {
      if (entry instanceof Supplier<?> factory
          && factory.get() instanceof SpecCommand built
          && built.spec().name().equals(name)) {
        return built;
      }
    }
    for (Object entry : commands) {
      if (entry instanceof Class<?> command && nameOf(command).equals(name)) {
        return command;
      }
    }
    return null;
  }

  private static String nameOf(Class<?> command) {
    return command.getAnnotation(Command.class).name();
  }

  @Override
  public CommandSpec spec() {
    return spec;
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
