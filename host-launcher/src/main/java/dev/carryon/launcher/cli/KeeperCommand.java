package dev.carryon.launcher.cli;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.session.SessionKeeper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code carryon keeper}: the session keeper's process ({@link SessionKeeper}), started by {@code
 * resume} and stopped by {@code end}; not for people, so hidden from the command list. Built in
 * code ({@link SpecCommand}): its start is on the way to the guest's first read, and reading
 * annotations cost it some 0.1 s of CPU, taken from the resume beside it.
 */
final class KeeperCommand implements Callable<Integer>, SpecCommand {
  static final String NAME = "keeper";

  private final CommandSpec spec = SpecCommand.command(this, NAME,
      "Serve a session's carrier chain to its QEMU and hoard it onto this host (started by resume,"
          + " stopped by end; not run by hand).",
      "WORKDIR is the session's work folder, holding what to serve (keeper.json).");

  private final CarrierArg carrier = new CarrierArg();

  {
    spec.usageMessage().hidden(true);
    carrier.addTo(spec);
  }

  private final PositionalParamSpec workDir =
      SpecCommand.parameter(spec, 1, "WORKDIR", Path.class, "The session's work folder.");

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() throws Exception {
    Path workDir = this.workDir.getValue();
    if (!Files.isDirectory(workDir)) {
      throw new CarryonException(ExitCodes.USAGE, "WORKDIR " + workDir + " is not a folder");
    }
    try (CarrierStorage storage = carrier.open()) {
      SessionKeeper.serve(workDir, storage);
    }
    return ExitCodes.OK;
  }
}
