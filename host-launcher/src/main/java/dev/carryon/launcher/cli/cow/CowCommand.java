package dev.carryon.launcher.cli.cow;

import dev.carryon.launcher.cli.SpecCommand;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code carryon cow}: work on qcow2 COW overlays with carryon's own engine. Its commands are built
 * in code ({@link SpecCommand}): their start-up is part of every merge {@code bench/merge} times.
 */
public final class CowCommand implements Runnable, SpecCommand {
  /** The command's name. */
  public static final String NAME = "cow";

  private final CommandSpec spec =
      SpecCommand.command(this, NAME, "Create, map, check and merge qcow2 copy-on-write overlays.");

  @Override
  public CommandSpec spec() {
    return spec;
  }

  /** The subcommands, in the order help lists them. */
  @Override
  public List<Supplier<SpecCommand>> subcommands() {
    return List.of(CowCreateCommand::new, CowMapCommand::new, CowCheckCommand::new, CowMergeCommand::new);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a cow command is required");
  }
}
