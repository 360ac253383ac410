package dev.carryon.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.cli.Main;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated man pages render with man(1) without a warning and list every option; the bash completion completes. */
class DocsTest {
  @TempDir static Path dir;

  private record Result(int exit, String out, String err) {}

  private static Result run(Map<String, String> env, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(1, TimeUnit.MINUTES), String.join(" ", command));
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void everyCommandHasAManPageThatRendersCleanly() throws Exception {
    Docs.write(dir, "1.2.3");
    CommandLine carryon = Main.commandLine();
    List<CommandLine> commands = ManPages.commands(carryon);
    assertTrue(commands.size() >= 15, "commands: " + commands.size());
    for (CommandLine cli : commands) {
      Path page = dir.resolve("man").resolve(ManPages.pageName(cli) + ".1");
      Result man = run(Map.of("MANWIDTH", "200"), "man", "--warnings", "-l", page.toString());
      assertEquals(0, man.exit(), page + ": " + man.err());
      assertEquals("", man.err(), page + " has troff warnings");
      assertTrue(man.out().contains(cli.getCommandSpec().qualifiedName()), man.out());
      for (OptionSpec o : cli.getCommandSpec().options()) {
        assertTrue(man.out().contains(o.longestName()), page + " lacks " + o.longestName());
      }
    }
    Result main = run(Map.of("MANWIDTH", "200"), "man", "--warnings", "-l", dir.resolve("man/carryon.1").toString());
    assertEquals("", main.err());
    assertTrue(main.out().contains("carryon-watch(1)") && main.out().contains("CARRYON_HOME"), main.out());
    assertTrue(Files.readString(dir.resolve("man/carryon-resume.1"), StandardCharsets.UTF_8).contains("carryon 1.2.3"));
  }

  @Test
  void bashCompletesCommandsAndOptions() throws Exception {
    Docs.write(dir, "1.2.3");
    String script = dir.resolve("completion/carryon").toString();
    Result r =
        run(Map.of(), "bash", "-c",
            "source " + script + "; complete_words() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1));"
                + " COMPREPLY=(); _complete_carryon; echo \"${COMPREPLY[*]}\"; };"
                + " complete_words carryon res; complete_words carryon watch --au");
    assertEquals(0, r.exit(), r.err());
    assertEquals("resume\n--auto-resume\n", r.out());
  }
}
