package dev.carryon.launcher.watch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carryon watch}'s refusals: each a clear line and its exit code. */
class WatchCommandTest {
  @TempDir Path root;

  @Test
  void anUnderThatIsNoFolderIsAUsageError() throws Exception {
    TestHost a = SessionKit.host(root, "hostA");
    String line =
        a.run("watch", "--under", root.resolve("absent").toString()).expect(ExitCodes.USAGE).errorLine();
    assertTrue(line.contains("--under (" + root.resolve("absent") + ") is not a folder"), line);
  }

  @Test
  void withoutFindmntTheHostLacksSomething() throws Exception {
    TestHost a = SessionKit.host(root, "hostA");
    Path emptyPath = Files.createDirectories(root.resolve("bin"));
    String line =
        a.run(Map.of("PATH", emptyPath.toString()), "watch", "--no-notify")
            .expect(ExitCodes.ENVIRONMENT)
            .errorLine();
    assertTrue(line.contains("findmnt (from util-linux) is not on PATH"), line);
  }
}
