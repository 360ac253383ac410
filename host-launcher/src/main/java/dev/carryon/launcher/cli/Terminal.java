package dev.carryon.launcher.cli;

import java.io.Console;

/**
 * The terminal of the person running a command: this process's console, or, for a command the
 * host agent runs, its launcher script's ({@link AgentCommand}). Progress bars are drawn and
 * passphrases asked only where there is one.
 */
abstract class Terminal {
  private static final Terminal CONSOLE =
      new Terminal() {
        @Override
        boolean present() {
          return System.console() != null;
        }

        @Override
        char[] readHidden(String prompt) {
          Console console = System.console();
          return console == null ? null : console.readPassword("%s", prompt);
        }
      };

  private static volatile Terminal current = CONSOLE;

  /** The terminal of the command now running. */
  static Terminal current() {
    return current;
  }

  /** Makes {@code terminal} the current one; null: this process's console again. */
  static void use(Terminal terminal) {
    current = terminal == null ? CONSOLE : terminal;
  }

  /** Whether there is a terminal (stdin and stdout are one, as for {@link System#console()}). */
  abstract boolean present();

  /** A line typed without echo after {@code prompt}, or null with no terminal or no line. */
  abstract char[] readHidden(String prompt);
}
