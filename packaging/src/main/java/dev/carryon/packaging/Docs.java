package dev.carryon.packaging;

import dev.carryon.launcher.cli.Main;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * Writes what the Debian package installs besides the jar, generated from the CLI itself: man
 * pages ({@link ManPages}) into {@code DIR/man} and picocli's bash completion into {@code
 * DIR/completion/carryon}.
 */
public final class Docs {
  private Docs() {}

  /** Arguments: the output folder, the version. */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: Docs DIR VERSION (got " + args.length + " arguments)");
    }
    write(Path.of(args[0]), args[1]);
  }

  static void write(Path dir, String version) throws IOException {
    CommandLine carryon = Main.commandLine();
    carryon.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
    ManPages.write(carryon, version, dir.resolve("man"));
    Path completion = dir.resolve("completion").resolve("carryon");
    Files.createDirectories(completion.getParent());
    Files.writeString(completion, AutoComplete.bash("carryon", carryon), StandardCharsets.UTF_8);
  }
}
