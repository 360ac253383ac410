package dev.carryon.carrier.client;

import java.io.IOException;

/**
 * A carrier server that cannot be reached: refused or dropped connections, a name that does not
 * resolve, a server that stopped answering. For a command it is a carrier that is not there.
 */
public final class ServerUnreachableException extends IOException {
  ServerUnreachableException(String message, IOException cause) {
    super(message, cause);
  }
}
