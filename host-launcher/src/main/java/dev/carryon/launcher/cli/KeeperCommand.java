package dev.carryon.launcher.cli;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.session.SessionKeeper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code carryon keeper}: the session keeper's process ({@link SessionKeeper}), started by {@code
 * resume} and stopped by {@code end}; not for people, so hidden from the command list.
 */
@Command(
    name = KeeperCommand.NAME,
    hidden = true,
    mixinStandardHelpOptions = true,
    description = {
      "Serve a session's carrier chain to its QEMU and hoard it onto this host (started by resume,"
          + " stopped by end; not run by hand).",
      "WORKDIR is the session's work folder, holding what to serve (keeper.json)."
    })
final class KeeperCommand implements Callable<Integer> {
  static final String NAME = "keeper";

  @Parameters(index = "1", paramLabel = "WORKDIR", description = "The session's work folder.")
  Path workDir;

  @Mixin CarrierArg carrier;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(workDir)) {
      throw new CarryonException(ExitCodes.USAGE, "WORKDIR " + workDir + " is not a folder");
    }
    try (CarrierStorage storage = carrier.open()) {
      SessionKeeper.serve(workDir, storage);
    }
    return ExitCodes.OK;
  }
}
