package dev.carryon.launcher.cli;

import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.client.ClientToken;
import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.client.LockMemory;
import dev.carryon.carrier.protocol.Tokens;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.phone.PhoneName;
import dev.carryon.launcher.phone.PhoneStorage;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The CARRIER argument of every command that works on a carrier (a picocli mixin), and the one
 * place that turns what the user typed into the carrier's storage: a folder (a mounted USB drive or
 * any directory) or the URL of a carrier server ({@code carryon serve}, a phone). Each kind of
 * location has one small method here; the storage is the command's to close.
 */
public final class CarrierArg {
  /** CARRIER's help, for the mixin and for {@link #addTo}. */
  private static final String LOCATION_HELP =
      "The carrier: a folder (a mounted USB drive or any directory), or the URL of a carrier"
          + " server, http://ADDR:PORT/ or https://ADDR:PORT/NAME/ (carryon serve), or"
          + " adb://SERIAL/NAME (adb:NAME: the only phone) on a phone with the carryon companion.";

  /** {@code --token-file}'s help, for the mixin and for {@link #addTo}. */
  private static final String TOKEN_FILE_HELP =
      "For a URL carrier: the file holding the server's token (default: the environment"
          + " variable " + ClientToken.ENV + ").";

  @Parameters(index = "0", paramLabel = "CARRIER", description = LOCATION_HELP)
  String location;

  @Option(names = "--token-file", paramLabel = "FILE", description = TOKEN_FILE_HELP)
  Path tokenFile;

  /**
   * Adds CARRIER and {@code --token-file} to {@code spec}, a command built in code ({@link
   * SpecCommand}), parsed into this object as the mixin's annotations are.
   */
  void addTo(CommandSpec spec) {
    spec.addPositional(
        PositionalParamSpec.builder().index("0").arity("1").required(true).paramLabel("CARRIER")
            .type(String.class).description(LOCATION_HELP)
            .setter(SpecCommand.setter(v -> location = (String) v)).build());
    spec.addOption(
        OptionSpec.builder("--token-file").paramLabel("FILE").type(Path.class).description(TOKEN_FILE_HELP)
            .setter(SpecCommand.setter(v -> tokenFile = (Path) v)).build());
  }

  /** The carrier {@code words} name (CARRIER, then {@code --token-file}), as another command's. */
  static CarrierArg parse(java.util.List<String> words) {
    CarrierArg carrier = new CarrierArg();
    CommandSpec spec = CommandSpec.create();
    carrier.addTo(spec);
    new picocli.CommandLine(spec).parseArgs(words.toArray(String[]::new));
    return carrier;
  }

  /** Where the carrier lives, as the user named it. */
  public String location() {
    return location;
  }

  /** The arguments that name this carrier to another carryon command: CARRIER and its token file. */
  public java.util.List<String> arguments() {
    return tokenFile == null
        ? java.util.List.of(location)
        : java.util.List.of(location, "--token-file", tokenFile.toAbsolutePath().toString());
  }

  /** The carrier's folder, or empty when the carrier is behind a URL. */
  public Optional<Path> folder() {
    return url() == null && !PhoneName.isPhone(location)
        ? Optional.of(Path.of(location))
        : Optional.empty();
  }

  /** The storage of an existing carrier; refuses a folder that does not exist. */
  public CarrierStorage open() throws IOException {
    if (PhoneName.isPhone(location)) {
      return PhoneStorage.open(location);
    }
    URI url = url();
    return url != null ? openUrl(url, false) : openFolder();
  }

  /** The storage a new carrier is made in (a folder is created when absent). */
  public CarrierStorage openForCreate() throws IOException {
    if (PhoneName.isPhone(location)) {
      return PhoneStorage.open(location);
    }
    URI url = url();
    return url != null ? openUrl(url, true) : FolderStorage.of(Path.of(location));
  }

  private CarrierStorage openFolder() throws CarrierException {
    Path folder = Path.of(location);
    if (!Files.isDirectory(folder)) {
      throw new CarrierException(location + ": no such folder");
    }
    return FolderStorage.of(folder);
  }

  /**
   * The carrier at {@code url}, with the token of {@code --token-file} or {@code CARRYON_TOKEN}; an
   * existing carrier must have a manifest there, so that a mistyped URL is not taken for an empty
   * carrier.
   */
  private CarrierStorage openUrl(URI url, boolean forCreate) throws IOException {
    String token;
    try {
      token = ClientToken.resolve(tokenFile, System.getenv());
    } catch (ClientToken.MissingTokenException e) {
      throw new CarryonException(ExitCodes.USAGE, location + ": " + e.getMessage(), e);
    } catch (NoSuchFileException e) {
      throw new CarryonException(
          ExitCodes.BAD_INPUT, "--token-file " + tokenFile + ": " + e.getReason(), e);
    } catch (Tokens.TokenFileException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, "--token-file " + e.getMessage(), e);
    } catch (IOException e) {
      throw new CarryonException(
          ExitCodes.BAD_INPUT, "--token-file " + tokenFile + ": cannot read it: " + e.getMessage(), e);
    }
    HttpStorage storage = HttpStorage.open(url, token);
    try {
      storage.rememberLocksIn(LockMemory.at(HostHome.locate().lockMemory(storage.location())));
    } catch (IOException | RuntimeException e) {
      storage.close();
      throw e;
    }
    if (!forCreate && !storage.hadCarrierWhenOpened()) {
      storage.close();
      throw new CarrierException(storage.location() + ": the server holds no carrier at this URL");
    }
    return storage;
  }

  /** The location as a carrier server's URL, or null when it names a folder. */
  private URI url() {
    String lower = location.toLowerCase(Locale.ROOT);
    if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
      return null;
    }
    try {
      URI url = new URI(location);
      if (url.getHost() == null || url.getRawQuery() != null || url.getRawFragment() != null) {
        throw new URISyntaxException(location, "expected http[s]://ADDR:PORT/ or .../NAME/");
      }
      return url;
    } catch (URISyntaxException e) {
      throw new CarryonException(
          ExitCodes.USAGE,
          "CARRIER " + location + " is not a carrier URL (" + e.getReason()
              + "; e.g. http://127.0.0.1:8417/)",
          e);
    }
  }

  @Override
  public String toString() {
    return location;
  }
}
