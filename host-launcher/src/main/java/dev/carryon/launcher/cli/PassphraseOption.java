package dev.carryon.launcher.cli;

import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/** {@code --passphrase-file}, on every command that reads a carrier's contents. */
public final class PassphraseOption {
  /** The option's help, for the mixin and for {@link #addTo}. */
  private static final String HELP =
      "An encrypted carrier's passphrase, the one line of FILE (default: the file "
          + Passphrases.ENV + " names, else asked on the terminal without echo).";

  @Option(names = "--passphrase-file", paramLabel = "FILE", description = HELP)
  void file(Path file) {
    Passphrases.install(file);
  }

  /** Adds the option to {@code spec}, a command built in code ({@link SpecCommand}). */
  static void addTo(CommandSpec spec) {
    spec.addOption(
        OptionSpec.builder("--passphrase-file").paramLabel("FILE").type(Path.class).description(HELP)
            .setter(SpecCommand.setter(v -> Passphrases.install((Path) v))).build());
  }
}
