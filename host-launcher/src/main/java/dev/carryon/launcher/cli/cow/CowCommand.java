package dev.carryon.launcher.cli.cow;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code carryon cow}: work on qcow2 COW overlays with carryon's own engine. */
@Command(
    name = "cow",
    mixinStandardHelpOptions = true,
    description = "Create, map, check and merge qcow2 copy-on-write overlays.",
    subcommands = {
      CowCreateCommand.class,
      CowMapCommand.class,
      CowCheckCommand.class,
      CowMergeCommand.class,
    })
public final class CowCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a cow command is required");
  }
}
