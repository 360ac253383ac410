package dev.carryon.launcher.cli.cow;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code carryon cow}: work on qcow2 COW overlays with carryon's own engine. */
@Command(
    name = "cow",
    mixinStandardHelpOptions = true,
    description = "Create, map, check and merge qcow2 copy-on-write overlays.")
public final class CowCommand implements Runnable {
  /**
   * The subcommands, in the order help lists them: added by {@code Main}, which builds only the one
   * asked for (each costs a few milliseconds of reflection at every start).
   */
  public static final List<Class<?>> COMMANDS =
      List.of(CowCreateCommand.class, CowMapCommand.class, CowCheckCommand.class, CowMergeCommand.class);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a cow command is required");
  }
}
