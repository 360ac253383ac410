package dev.carryon.launcher.cli;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.storage.CarrierStorage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code carryon passphrase}: change an encrypted carrier's passphrase. */
@Command(
    name = "passphrase",
    mixinStandardHelpOptions = true,
    description = {
      "Change the passphrase of an encrypted carrier.",
      "Only its key slots are rewritten: its key, and so every file, stays as it is."
    })
final class PassphraseCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin CarrierArg carrier;

  @Mixin PassphraseOption passphrase;

  @Option(names = "--new-passphrase-file", paramLabel = "FILE", description = "The new passphrase, the one line of FILE (default: asked twice on the terminal without echo).")
  Path newFile;

  @Override
  public Integer call() throws Exception {
    char[] old = Passphrases.installed().passphrase(carrier.toString());
    char[] next =
        newFile != null ? Passphrases.read(newFile) : Passphrases.ask(carrier.toString(), true);
    try (CarrierStorage storage = carrier.open();
        Carrier c = Carrier.openForWrite(storage, "carryon passphrase")) {
      c.changePassphrase(old, next);
    } finally {
      Arrays.fill(old, '\0');
      Arrays.fill(next, '\0');
    }
    spec.commandLine().getOut().printf("%s: passphrase changed%n", carrier);
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
