package dev.carryon.launcher.cli;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.session.SessionKeeper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  {
    spec.usageMessage().hidden(true);
  }

  private final PositionalParamSpec workDir =
      SpecCommand.parameter(spec, 0, "WORKDIR", Path.class, "The session's work folder.");

  private final PositionalParamSpec carrierWords = carrierWords(spec);

  /**
   * CARRIER and its options, after {@code --}: opened while resume checks the carrier. None for a
   * keeper started ahead of its resume by the host agent, which opens the carrier keeper.json names.
   */
  private static PositionalParamSpec carrierWords(CommandSpec spec) {
    PositionalParamSpec built = PositionalParamSpec.builder().index("1..*").arity("0..*")
        .paramLabel("CARRIER").type(List.class).auxiliaryTypes(String.class)
        .description("CARRIER and its options (after --), as resume names it.").build();
    spec.addPositional(built);
    return built;
  }

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
    List<String> given = carrierWords.getValue();
    try (OpenedCarrier carrier = new OpenedCarrier()) {
      if (given != null && !given.isEmpty()) {
        carrier.open(given);
      }
      SessionKeeper.serve(workDir, carrier::open);
    }
    return ExitCodes.OK;
  }

  /**
   * The carrier the keeper serves, opened once (while resume checks it) with the arguments that
   * name it, and again only if asked for another.
   */
  private static final class OpenedCarrier implements AutoCloseable {
    private CarrierStorage storage;
    private List<String> openedWith = List.of();

    CarrierStorage open(List<String> carrierArgs) throws IOException {
      if (storage != null && !openedWith.equals(carrierArgs)) {
        close();
      }
      if (storage == null) {
        storage = CarrierArg.parse(carrierArgs).open();
        openedWith = List.copyOf(carrierArgs);
      }
      return storage;
    }

    @Override
    public void close() throws IOException {
      if (storage != null) {
        CarrierStorage s = storage;
        storage = null;
        s.close();
      }
    }
  }
}
