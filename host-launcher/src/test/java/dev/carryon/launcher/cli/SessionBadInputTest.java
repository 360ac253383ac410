package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to the session commands (init, resume, end, status, verify, lease), run in this JVM
 * through {@link Main#execute}: each is one line {@code carryon: ...} naming the path and the
 * problem, with the documented exit code, and nothing is written.
 */
class SessionBadInputTest {
  /** Every command that takes an existing carrier, with the options that make it act. */
  private static final List<List<String>> ON_A_CARRIER =
      List.of(
          List.of("resume", "--detach"),
          List.of("end"),
          List.of("end", "--discard"),
          List.of("status"),
          List.of("status", "--json"),
          List.of("verify"),
          List.of("lease", "show"),
          List.of("lease", "break", "--yes"));

  @TempDir Path dir;

  private record Run(int exit, String out, String err) {}

  @BeforeEach
  void onAHostOfItsOwn() {
    System.setProperty("carryon.home", dir.resolve("home").toString());
  }

  @AfterEach
  void noHost() {
    System.clearProperty("carryon.home");
  }

  @Test
  void aMissingCarrierFolder() {
    Path missing = dir.resolve("missing");
    for (List<String> command : ON_A_CARRIER) {
      oneLine(ExitCodes.BAD_INPUT, missing + ": no such folder", command, missing);
    }
    assertFalse(Files.exists(missing));
  }

  @Test
  void aFolderThatIsNoCarrier() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    for (List<String> command : ON_A_CARRIER) {
      oneLine(ExitCodes.BAD_INPUT, empty + ": not a carrier (no carryon.json)", command, empty);
    }
    try (var files = Files.list(empty)) {
      assertEquals(0, files.count(), "something was written into " + empty);
    }
  }

  @Test
  void aRefusedResumeLeavesNothingAtWorkInItsHome() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Path home = dir.resolve("home");
    oneLine(ExitCodes.BAD_INPUT, "not a carrier", List.of("resume", "--detach"), empty);
    // What resume began beside its check (asking QEMU, the keeper's JVM) has ended with it.
    Map<Path, Long> returned = sizes(home);
    Thread.sleep(2000);
    assertEquals(returned, sizes(home), "the home changed after resume had returned");
  }

  @Test
  void aForeignManifest() throws Exception {
    Path foreign = Files.createDirectories(dir.resolve("foreign"));
    Path manifest = foreign.resolve("carryon.json");
    String text = "{\"format\": \"someone-elses-tool\", \"version\": 7}\n";
    Files.writeString(manifest, text);
    for (List<String> command : ON_A_CARRIER) {
      oneLine(ExitCodes.BAD_INPUT, manifest.toString(), command, foreign);
    }
    assertEquals(text, Files.readString(manifest));
    oneLine(
        ExitCodes.BAD_INPUT, foreign + ": already a carrier", List.of("init", "--image", image().toString()), foreign);
    try (var files = Files.list(foreign)) {
      assertEquals(1, files.count(), "init wrote into a folder holding a foreign manifest");
    }
  }

  @Test
  void initRefusesAMissingImageAndAnExistingCarrier() throws Exception {
    Path carrier = dir.resolve("carrier");
    Path missing = dir.resolve("missing.qcow2");
    oneLine(ExitCodes.BAD_INPUT, missing.toString(), List.of("init", "--image", missing.toString()), carrier);
    assertFalse(Files.exists(carrier.resolve("carryon.json")));
    Run made = carryon("init", carrier.toString(), "--image", image().toString());
    assertEquals(ExitCodes.OK, made.exit, made.err);
    byte[] manifest = Files.readAllBytes(carrier.resolve("carryon.json"));
    oneLine(
        ExitCodes.BAD_INPUT, carrier + ": already a carrier", List.of("init", "--image", image().toString()), carrier);
    assertEquals(new String(manifest, StandardCharsets.UTF_8), Files.readString(carrier.resolve("carryon.json")));
  }

  @Test
  void endWithoutASessionOnThisHost() throws Exception {
    Path carrier = dir.resolve("carrier");
    assertEquals(ExitCodes.OK, carryon("init", carrier.toString(), "--image", image().toString()).exit);
    byte[] manifest = Files.readAllBytes(carrier.resolve("carryon.json"));
    oneLine(ExitCodes.REFUSED, "this host has no session on " + carrier + " (nobody holds it)", List.of("end"), carrier);
    oneLine(ExitCodes.REFUSED, "this host has no session on " + carrier, List.of("end", "--discard"), carrier);
    assertEquals(new String(manifest, StandardCharsets.UTF_8), Files.readString(carrier.resolve("carryon.json")));
  }

  @Test
  void unknownOptionsAndMissingArguments() {
    Path carrier = dir.resolve("carrier");
    for (List<String> command : ON_A_CARRIER) {
      List<String> args = new ArrayList<>(command);
      args.add(carrier.toString());
      args.add("--bogus");
      Run r = carryon(args.toArray(String[]::new));
      assertEquals(ExitCodes.USAGE, r.exit, args + ": " + r.err);
      assertTrue(r.err.lines().findFirst().orElse("").contains("--bogus"), args + ": " + r.err);
    }
    for (String command : List.of("init", "resume", "end", "status", "verify")) {
      Run r = carryon(command);
      assertEquals(ExitCodes.USAGE, r.exit, command + ": " + r.err);
      assertTrue(r.err.lines().findFirst().orElse("").contains("CARRIER"), command + ": " + r.err);
    }
    Run r = carryon("resume", carrier.toString(), "--checkpoint", "yesterday");
    assertEquals(ExitCodes.USAGE, r.exit, r.err);
    assertTrue(r.err.contains("--checkpoint (yesterday)"), r.err);
    assertFalse(Files.exists(carrier));
  }

  /** Every file under {@code root} and its size; empty when there is no {@code root}. */
  private static Map<Path, Long> sizes(Path root) throws IOException {
    Map<Path, Long> sizes = new TreeMap<>();
    if (Files.exists(root)) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          sizes.put(p, Files.isRegularFile(p) ? Files.size(p) : -1L);
        }
      }
    }
    return sizes;
  }

  /** A small raw disk: enough for init, which needs no guest. */
  private Path image() throws Exception {
    Path image = dir.resolve("disk.raw");
    if (!Files.exists(image)) {
      Files.write(image, new byte[1 << 20]);
    }
    return image;
  }

  /**
   * Runs {@code command CARRIER rest...} (the carrier right after the command words) and asserts
   * the exit code and that stderr is one line {@code carryon: ...} holding {@code words}.
   */
  private void oneLine(int exit, String words, List<String> command, Path carrier) {
    List<String> args = new ArrayList<>();
    int words0 = command.get(0).equals("lease") ? 2 : 1;
    args.addAll(command.subList(0, words0));
    args.add(carrier.toString());
    args.addAll(command.subList(words0, command.size()));
    Run r = carryon(args.toArray(String[]::new));
    String what = String.join(" ", args) + " -> exit " + r.exit + ": " + r.err;
    assertEquals(exit, r.exit, what);
    assertEquals(1, r.err.lines().count(), what);
    assertTrue(r.err.startsWith("carryon: ") && r.err.contains(words), what);
  }

  private static Run carryon(String... args) {
    CliRun r = CliRun.of(args);
    return new Run(r.exitCode(), r.out(), r.err());
  }

}
