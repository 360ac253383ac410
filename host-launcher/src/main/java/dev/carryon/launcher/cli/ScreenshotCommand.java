package dev.carryon.launcher.cli;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.session.SessionScreen;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code carryon screenshot}: the carrier's screen as a PNG. */
@Command(
    name = "screenshot",
    mixinStandardHelpOptions = true,
    description =
        "Write the screen of the carrier's VM to FILE as a PNG: the running session's, when this"
            + " host runs it, else the small picture kept with the current generation.")
final class ScreenshotCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin CarrierArg carrier;

  @Mixin PassphraseOption passphrase;

  @Parameters(index = "1", paramLabel = "FILE", description = "The PNG to write (replaced if it exists).")
  Path file;

  @Override
  public Integer call() throws Exception {
    Path folder = file.toAbsolutePath().getParent();
    if (!java.nio.file.Files.isDirectory(folder)) {
      throw new CarryonException(ExitCodes.BAD_INPUT, "FILE " + file + ": no such folder " + folder);
    }
    String what;
    try (Host host = Host.open();
        CarrierStorage storage = carrier.open()) {
      what = SessionScreen.take(host, storage, file);
    }
    spec.commandLine().getOut().printf("%s: %s%n", file, what);
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
