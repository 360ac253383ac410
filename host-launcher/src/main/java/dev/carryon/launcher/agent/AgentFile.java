package dev.carryon.launcher.agent;

import dev.carryon.cow.io.OwnerOnly;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Where a running agent listens: the file {@value #NAME} in the host's carryon folder, its
 * owner's only, one line {@code PID PORT TOKEN} that the launcher script reads with a shell
 * built-in. Whoever can read it can have the agent run commands as its owner: so it is made 0600
 * in the 0700 folder, and the token is fresh at every start.
 *
 * @param pid the agent's process
 * @param port its TCP port on the loopback address
 * @param token what every request must carry
 */
public record AgentFile(long pid, int port, String token) {
  /** Its name in the host's carryon folder. */
  public static final String NAME = "agent";

  /** Longest file worth reading: one line of three short fields. */
  private static final int MAX = 256;

  /** Writes it into {@code home}, replacing any, atomically. */
  void write(Path home) throws IOException {
    Path tmp = home.resolve(NAME + ".tmp-" + pid);
    OwnerOnly.write(tmp, (pid + " " + port + " " + token + "\n").getBytes(StandardCharsets.US_ASCII),
        StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    Files.move(tmp, home.resolve(NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The agent file in {@code home}, or empty when there is none or it is not one. */
  public static Optional<AgentFile> read(Path home) {
    try {
      Path file = home.resolve(NAME);
      if (Files.size(file) > MAX) {
        return Optional.empty();
      }
      String[] f = Files.readString(file, StandardCharsets.US_ASCII).trim().split(" ");
      if (f.length != 3 || !f[0].matches("[1-9][0-9]{0,9}") || !f[1].matches("[1-9][0-9]{0,4}")
          || !f[2].matches("[0-9a-f]{64}")) {
        return Optional.empty();
      }
      return Optional.of(new AgentFile(Long.parseLong(f[0]), Integer.parseInt(f[1]), f[2]));
    } catch (IOException e) {
      return Optional.empty(); // none (or unreadable): the script and --detach find no agent either
    }
  }

  /** Removes it from {@code home} if it is still this one (a newer agent may have replaced it). */
  void removeFrom(Path home) {
    if (read(home).filter(this::equals).isPresent()) {
      try {
        Files.deleteIfExists(home.resolve(NAME));
      } catch (IOException e) {
        // The script finds no agent at that port and runs commands itself.
      }
    }
  }
}
