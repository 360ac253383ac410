package dev.carryon.launcher.cli;

import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.CarrierKeys;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where this command gets an encrypted carrier's passphrase: the file {@code --passphrase-file}
 * names, else the file {@code CARRYON_PASSPHRASE_FILE} names, else the terminal, asked without
 * echo. A file holds the passphrase as UTF-8, one line; its line end is not part of it.
 */
final class Passphrases implements CarrierKeys.Passphrases {
  /** Environment variable naming the passphrase file when no option does. */
  static final String ENV = "CARRYON_PASSPHRASE_FILE";

  /** No passphrase file is longer (a longer one is some other file given by mistake). */
  private static final int MAX_FILE = 4096;

  /** The source {@link #install} made this process's. */
  private static Passphrases installed = new Passphrases(null);

  /** The file {@code --passphrase-file} named; null when none did. */
  private final Path file;

  private Passphrases(Path file) {
    this.file = file;
  }

  /** Makes the source with {@code file} (null: the environment, then the terminal) the process's. */
  static void install(Path file) {
    installed = new Passphrases(file);
    CarrierKeys.use(installed);
  }

  /** The process's source, as last {@link #install}ed. */
  static Passphrases installed() {
    return installed;
  }

  @Override
  public char[] passphrase(String carrier) throws IOException {
    Path f = fileGiven();
    if (f != null) {
      return read(f);
    }
    return ask(carrier, "passphrase of " + carrier + ": ", false);
  }

  /** A new passphrase for {@code carrier}, asked twice on the terminal. */
  static char[] ask(String carrier, boolean twice) throws IOException {
    return ask(carrier, "new passphrase for " + carrier + ": ", twice);
  }

  /** A new passphrase for {@code carrier}: from the file given, else asked twice on the terminal. */
  char[] newPassphrase(String carrier) throws IOException {
    Path f = fileGiven();
    return f != null ? read(f) : ask(carrier, true);
  }

  /** The passphrase in {@code file}, refused (exit 3) when unreadable, empty or not one line. */
  static char[] read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new CarryonException(ExitCodes.BAD_INPUT, file + ": no such passphrase file");
    }
    if (Files.size(file) > MAX_FILE) {
      throw new CarryonException(ExitCodes.BAD_INPUT, file + ": " + Files.size(file)
          + " bytes is no passphrase file (at most " + MAX_FILE + ")");
    }
    byte[] bytes = Files.readAllBytes(file);
    int end = bytes.length;
    if (end > 0 && bytes[end - 1] == '\n') {
      end--;
      if (end > 0 && bytes[end - 1] == '\r') {
        end--;
      }
    }
    CharBuffer chars;
    try {
      chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, end));
    } catch (CharacterCodingException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, file + ": the passphrase is not UTF-8 text");
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
    char[] passphrase = new char[chars.remaining()];
    chars.get(passphrase);
    if (passphrase.length == 0) {
      throw new CarryonException(ExitCodes.BAD_INPUT, file + ": the passphrase file is empty");
    }
    for (char c : passphrase) {
      if (c == '\n' || c == '\r') {
        throw new CarryonException(ExitCodes.BAD_INPUT,
            file + ": the passphrase file holds more than one line");
      }
    }
    return passphrase;
  }

  private Path fileGiven() {
    if (file != null) {
      return file;
    }
    String env = System.getenv(ENV);
    return env == null || env.isEmpty() ? null : Path.of(env);
  }

  private static char[] ask(String carrier, String prompt, boolean twice) throws IOException {
    Terminal terminal = Terminal.current();
    if (!terminal.present()) {
      // An IOException, as any carrier that cannot be read: the watch reports it and goes on.
      throw new CarrierException(carrier + ": the carrier is encrypted: give its passphrase with"
          + " --passphrase-file FILE or " + ENV + " (no terminal to ask on)");
    }
    char[] first = terminal.readHidden(prompt);
    if (first == null || first.length == 0) {
      throw new CarryonException(ExitCodes.USAGE, "no passphrase given");
    }
    if (twice) {
      char[] again = terminal.readHidden("the same again: ");
      boolean same = Arrays.equals(first, again);
      if (again != null) {
        Arrays.fill(again, '\0');
      }
      if (!same) {
        Arrays.fill(first, '\0');
        throw new CarryonException(ExitCodes.USAGE, "the two passphrases differ; nothing was made");
      }
    }
    return first;
  }
}
