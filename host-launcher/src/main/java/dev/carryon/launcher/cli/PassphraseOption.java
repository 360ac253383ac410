package dev.carryon.launcher.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --passphrase-file}, on every command that reads a carrier's contents. */
public final class PassphraseOption {
  @Option(
      names = "--passphrase-file",
      paramLabel = "FILE",
      description = "An encrypted carrier's passphrase, the one line of FILE (default: the file "
          + Passphrases.ENV + " names, else asked on the terminal without echo).")
  void file(Path file) {
    Passphrases.install(file);
  }
}
