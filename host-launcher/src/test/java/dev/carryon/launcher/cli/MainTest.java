package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The top-level command: it builds only the subcommand asked for, and all of them otherwise. */
class MainTest {
  private static final List<String> COMMANDS =
      List.of(
          "help", "run", "init", "resume", "end", "screenshot", "status", "verify", "lease", "passphrase",
          "serve", "phone", "cow", "sync", "export", "watch", "agent");
  /** Every subcommand: the listed ones and the session keeper's process, hidden from the list. */
  private static final List<String> ALL =
      java.util.stream.Stream.concat(COMMANDS.stream(), java.util.stream.Stream.of("keeper")).toList();

  @Test
  void helpListsEveryCommand() {
    CliRun run = CliRun.of("--help");
    assertEquals(ExitCodes.OK, run.exitCode(), run.err());
    for (String name : COMMANDS) {
      assertTrue(run.out().contains("\n  " + name + " "), name + " missing from:\n" + run.out());
    }
    assertTrue(!run.out().contains("\n  keeper "), "the keeper is not for people:\n" + run.out());
  }

  @Test
  void aNamedCommandIsTheOnlyOneBuilt() {
    assertEquals(List.of("status"), List.copyOf(Main.newCommandLine("status", "--json", "x").getSubcommands().keySet()));
    assertEquals(List.of("cow"), List.copyOf(Main.newCommandLine("--help", "cow", "merge").getSubcommands().keySet()));
  }

  @Test
  void aGroupBuildsOnlyItsCommandAskedFor() {
    CommandLine cow = Main.newCommandLine("cow", "merge", "--top", "t", "--into", "i").getSubcommands().get("cow");
    assertEquals(List.of("merge"), List.copyOf(cow.getSubcommands().keySet()));
    List<String> all = List.of("create", "map", "check", "merge");
    assertEquals(all, List.copyOf(Main.newCommandLine("cow", "--help").getSubcommands().get("cow").getSubcommands().keySet()));
    assertEquals(all, List.copyOf(Main.newCommandLine("cow", "merg").getSubcommands().get("cow").getSubcommands().keySet()));
    assertEquals(all, List.copyOf(Main.newCommandLine().getSubcommands().get("cow").getSubcommands().keySet()));
    CliRun help = CliRun.of("cow", "--help");
    assertEquals(ExitCodes.OK, help.exitCode(), help.err());
    for (String name : all) {
      assertTrue(help.out().contains("\n  " + name + " "), name + " missing from:\n" + help.out());
    }
  }

  @Test
  void aCommandBuiltInCodeHelpsAndRefusesAsAnAnnotatedOneDid() {
    // The text picocli printed when cow merge was annotated (mixinStandardHelpOptions and all).
    CliRun help = CliRun.of("cow", "merge", "--help");
    assertEquals(ExitCodes.OK, help.exitCode(), help.err());
    assertEquals(String.join(System.lineSeparator(),
        "Usage: carryon cow merge [-hV] [--json] --into=TARGET --top=TOP",
        "Merge what TOP itself holds (data and zeros) into TARGET (qcow2 or raw, same",
        "virtual size).",
        "  -h, --help          Show this help message and exit.",
        "      --into=TARGET   The image written to.",
        "      --json          Print the summary as JSON.",
        "      --top=TOP       The overlay whose clusters are merged.",
        "  -V, --version       Print version information and exit.",
        ""), help.out());
    CliRun missing = CliRun.of("cow", "create");
    assertEquals(ExitCodes.USAGE, missing.exitCode());
    assertEquals("carryon: Missing required options and parameters: '--backing=BASE', 'OUT'"
        + " (see: carryon cow create --help)" + System.lineSeparator(), missing.err());
    CliRun noImage = CliRun.of("cow", "map", "--bogus");
    assertEquals(ExitCodes.USAGE, noImage.exitCode());
    assertEquals("carryon: Missing required parameter: 'IMAGE' (see: carryon cow map --help)"
        + System.lineSeparator(), noImage.err());
  }

  @Test
  void helpAndUnknownCommandsGetThemAll() {
    assertEquals(ALL, List.copyOf(Main.newCommandLine("help", "resume").getSubcommands().keySet()));
    assertEquals(ALL, List.copyOf(Main.newCommandLine("resum", "c").getSubcommands().keySet()));
    assertEquals(ALL, List.copyOf(Main.newCommandLine().getSubcommands().keySet()));
  }

  @Test
  void helpOfACommandAndUnknownCommandsStillWork() {
    CliRun help = CliRun.of("help", "resume");
    assertEquals(ExitCodes.OK, help.exitCode(), help.err());
    assertTrue(help.out().contains("Usage: carryon resume"), help.out());
    CliRun typo = CliRun.of("resum", "c");
    assertEquals(ExitCodes.USAGE, typo.exitCode());
    assertTrue(typo.err().startsWith("carryon: Unmatched arguments from index 0: 'resum'"), typo.err());
  }
}
