package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.cow.Qcow2Creator;
import dev.carryon.testdata.fuzz.FuzzInput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The regression inputs of the fuzzers (kept beside the parsers, in cow-merge and sync), given to
 * the commands a user runs: each gives the documented exit code and one line on stderr naming the
 * file, never a stack trace, and changes no file it was not asked to write.
 */
class FuzzFindingsCliTest {
  /** The fuzzers' regression inputs, relative to this module (tests run in the module folder). */
  private static final Path QCOW2 = Path.of("../cow-merge/src/test/resources/fuzz/qcow2");
  private static final Path EXT4 = Path.of("../sync/src/test/resources/fuzz/ext4");

  @TempDir Path dir;

  @BeforeEach
  void onAHostOfItsOwn() {
    System.setProperty("carryon.home", dir.resolve("home").toString());
  }

  @AfterEach
  void noHost() {
    System.clearProperty("carryon.home");
  }

  @Test
  void damagedImagesGiveOneLineAndExit3OrACheckReport() throws Exception {
    Path target = dir.resolve("target.qcow2");
    Qcow2Creator.create(target, 256 << 10, null, null);
    byte[] before = Files.readAllBytes(target);
    for (Path regression : list(QCOW2)) {
      Path image = materialise(regression);
      CliRun check = CliRun.of("cow", "check", image.toString());
      if (check.exitCode() == ExitCodes.REFUSED) {
        // Opens, but damaged: the report says so on stdout.
        assertTrue(check.out().contains("corruptions"), regression + ": " + check.out());
        assertEquals("", check.err(), regression + ": " + check.err());
      } else {
        oneLine(ExitCodes.BAD_INPUT, image, check, regression);
        oneLine(ExitCodes.BAD_INPUT, image, CliRun.of("cow", "map", image.toString()), regression);
        oneLine(ExitCodes.BAD_INPUT, image,
            CliRun.of("cow", "merge", "--top", image.toString(), "--into", target.toString()), regression);
        assertArrayEquals(before, Files.readAllBytes(target), regression + ": the merge target was written");
      }
    }
  }

  @Test
  void damagedGuestFilesystemsGiveOneLineAndExit3() throws Exception {
    for (Path regression : list(EXT4)) {
      Path disk = materialise(regression);
      Path carrier = dir.resolve("carrier-" + disk.getFileName());
      CliRun init = CliRun.of("init", carrier.toString(), "--image", disk.toString());
      assertEquals(ExitCodes.OK, init.exitCode(), init.err());
      Path out = dir.resolve("out-" + disk.getFileName());
      CliRun export = CliRun.of("export", carrier.toString(), "--guest-path", "/", "--to", out.toString());
      oneLine(ExitCodes.BAD_INPUT, carrier, export, regression);
    }
  }

  /** The regression input at {@code regression}, decompressed, as a file of its own. */
  private Path materialise(Path regression) throws Exception {
    FuzzInput in = FuzzInput.read(regression);
    Path p = dir.resolve(in.files().firstKey());
    Files.write(p, in.files().firstEntry().getValue());
    return p;
  }

  private static List<Path> list(Path folder) throws Exception {
    assertTrue(Files.isDirectory(folder), folder.toAbsolutePath() + " is missing (run the tests from the module folder)");
    try (Stream<Path> s = Files.list(folder)) {
      List<Path> all = s.sorted().toList();
      assertTrue(!all.isEmpty(), "no regression input in " + folder);
      return all;
    }
  }

  private static void oneLine(int exit, Path named, CliRun run, Path regression) {
    assertEquals(exit, run.exitCode(), regression + ": " + run.err());
    List<String> lines = run.err().lines().toList();
    assertEquals(1, lines.size(), regression + ": " + run.err());
    assertTrue(lines.get(0).startsWith("carryon: ") && lines.get(0).contains(named.toString()),
        regression + ": " + run.err());
  }
}
