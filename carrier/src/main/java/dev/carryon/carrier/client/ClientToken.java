package dev.carryon.carrier.client;

import dev.carryon.carrier.protocol.Tokens;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/** Where a client finds the token of a carrier server: {@code --token-file FILE}, else {@code CARRYON_TOKEN}. */
public final class ClientToken {
  /** The environment variable holding the token when no file is named. */
  public static final String ENV = "CARRYON_TOKEN";

  private ClientToken() {}

  /**
   * The token in {@code tokenFile} when one is named, else in {@code env}'s {@value #ENV}.
   *
   * @throws IOException naming the file or the variable and what is wrong, when neither holds a
   *     usable token
   */
  public static String resolve(Path tokenFile, Map<String, String> env) throws IOException {
    if (tokenFile != null) {
      try {
        return Tokens.read(tokenFile);
      } catch (NoSuchFileException e) {
        throw new NoSuchFileException(
            tokenFile.toString(), null, "token file does not exist (the server made it: copy it here)");
      }
    }
    String token = env.get(ENV);
    if (token == null || token.trim().isEmpty()) {
      throw new MissingTokenException(
          "a carrier URL needs the server's token: give --token-file FILE or set " + ENV);
    }
    String problem = Tokens.problem(token.trim());
    if (problem != null) {
      throw new MissingTokenException(ENV + " holds no usable token: " + problem);
    }
    return token.trim();
  }

  /** No token was given, or the one given cannot be one. */
  public static final class MissingTokenException extends IOException {
    MissingTokenException(String message) {
      super(message);
    }
  }
}
