package dev.carryon.launcher.cli.cow;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.launcher.cli.CliRun;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.cli.Main;

import java.io.IOException;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real runs of {@code carryon cow ...} through {@link Main#execute}, checked with qemu-img. */
class CowCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  Path base;
  Path top;

  /** Exit code and what the command printed. */
  record Run(int exit, String out, String err) {}

  @BeforeEach
  void images() throws Exception {
    base = dir.resolve("base.qcow2");
    top = dir.resolve("top.qcow2");
    qemu("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "4M");
    qemu("qemu-io", "-c", "write -P 0x11 0 1M", base.toString());
    qemu("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top.toString());
    qemu("qemu-io", "-c", "write -P 0x22 64k 128k", "-c", "write -z 2M 64k", "-c", "write -P 0x23 3M 4k", top.toString());
  }

  @Test
  void createThenQemuImgInfo() throws Exception {
    Path out = dir.resolve("new.qcow2");
    Run r = carryon("cow", "create", "--backing", "base.qcow2", "--cluster-size", "16K", out.toString());
    assertEquals(ExitCodes.OK, r.exit, r.err);
    JsonNode info = JSON.readTree(qemu("qemu-img", "info", "--output=json", out.toString()));
    assertEquals("base.qcow2", info.get("backing-filename").asText());
    assertEquals("qcow2", info.get("backing-filename-format").asText());
    assertEquals(4 << 20, info.get("virtual-size").asLong());
    assertEquals(16384, info.get("cluster-size").asLong());
    qemu("qemu-img", "check", out.toString());
  }

  @Test
  void mapJsonMatchesQemuImgMap() throws Exception {
    Run r = carryon("cow", "map", "--json", top.toString());
    assertEquals(ExitCodes.OK, r.exit, r.err);
    String qemu = qemu("qemu-img", "map", "--output=json", top.toString());
    assertEquals(allocation(JSON.readTree(qemu), true), allocation(JSON.readTree(r.out), true));

    // The top alone: QEMU without a backing file calls unallocated runs zero, we do not (the
    // backing file decides), so only where the data lives is compared.
    r = carryon("cow", "map", "--json", "--layer-only", top.toString());
    assertEquals(ExitCodes.OK, r.exit, r.err);
    qemu = qemu("qemu-img", "map", "--output=json",
        "json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"" + top + "\"},\"backing\":null}");
    assertEquals(allocation(JSON.readTree(qemu), false), allocation(JSON.readTree(r.out), false));
  }

  @Test
  void checkJsonCleanAndLeaky() throws Exception {
    Run clean = carryon("cow", "check", "--json", top.toString());
    assertEquals(ExitCodes.OK, clean.exit, clean.err);
    assertEquals(0, JSON.readTree(clean.out).get("leaks").asLong());

    leakFirstCluster(base);
    JsonNode qemu = JSON.readTree(qemuRun("qemu-img", "check", "--output=json", base.toString()).out);
    Run leaky = carryon("cow", "check", "--json", base.toString());
    assertEquals(ExitCodes.REFUSED, leaky.exit, leaky.out + leaky.err);
    JsonNode ours = JSON.readTree(leaky.out);
    assertEquals(qemu.get("leaks").asLong(), ours.get("leaks").asLong());
    assertEquals(1, ours.get("leaks").asLong());
    assertEquals(0, ours.get("corruptions").asLong());

    Run repaired = carryon("cow", "check", "--repair-leaks", base.toString());
    assertEquals(ExitCodes.OK, repaired.exit, repaired.out + repaired.err);
    assertTrue(repaired.out.contains("1 leaked clusters were repaired."), repaired.out);
    qemu("qemu-img", "check", base.toString());
  }

  @Test
  void mergeThenQemuImgCompare() throws Exception {
    Path expected = dir.resolve("expected.raw");
    qemu("qemu-img", "convert", "-O", "raw", top.toString(), expected.toString());
    Run r = carryon("cow", "merge", "--top", top.toString(), "--into", base.toString(), "--json");
    assertEquals(ExitCodes.OK, r.exit, r.err);
    JsonNode summary = JSON.readTree(r.out);
    assertEquals(3 * 65536, summary.get("bytes_copied").asLong(), "whole clusters: 64k+128k spans two, 3M+4k one");
    assertEquals(64 * 1024, summary.get("bytes_zeroed").asLong());
    assertTrue(summary.get("target_bytes_written").asLong() >= summary.get("bytes_copied").asLong());
    qemu("qemu-img", "compare", "-f", "qcow2", "-F", "raw", base.toString(), expected.toString());
    qemu("qemu-img", "check", base.toString());

    Run plain = carryon("cow", "merge", "--top", top.toString(), "--into", base.toString());
    assertEquals(ExitCodes.OK, plain.exit, plain.err);
    assertTrue(plain.out.startsWith("merged " + top + " into " + base + ": "), plain.out);
  }

  @Test
  void badInputGetsOneLineAndItsExitCode() throws Exception {
    Path missing = dir.resolve("missing.qcow2");
    Path text = dir.resolve("notes.txt");
    Files.writeString(text, "not a disk image, just some notes\n".repeat(8));
    Path big = dir.resolve("big.qcow2");
    qemu("qemu-img", "create", "-q", "-f", "qcow2", big.toString(), "8M");
    Path truncated = dir.resolve("truncated.qcow2");
    Files.write(truncated, Files.readAllBytes(base), StandardOpenOption.CREATE_NEW);
    try (FileChannel c = FileChannel.open(truncated, StandardOpenOption.WRITE)) {
      c.truncate(100);
    }

    oneLine(ExitCodes.BAD_INPUT, missing.toString(), "merge", "--top", missing.toString(), "--into", base.toString());
    oneLine(ExitCodes.BAD_INPUT, missing.toString(), "map", missing.toString());
    oneLine(ExitCodes.BAD_INPUT, missing.toString(), "check", missing.toString());
    oneLine(ExitCodes.BAD_INPUT, "not a qcow2 image",
        "create", "--backing", text.toString(), "--backing-format", "qcow2", dir.resolve("o1.qcow2").toString());
    oneLine(ExitCodes.BAD_INPUT, "virtual size", "merge", "--top", top.toString(), "--into", big.toString());
    oneLine(ExitCodes.BAD_INPUT, "virtual size", "merge", "--top", text.toString(), "--into", base.toString());
    oneLine(ExitCodes.BAD_INPUT, "truncated", "check", truncated.toString());
    oneLine(ExitCodes.BAD_INPUT, "already exists", "create", "--backing", "base.qcow2", top.toString());
    oneLine(ExitCodes.BAD_INPUT, "does not exist", "create", "--backing", "gone.qcow2", dir.resolve("o2.qcow2").toString());
    oneLine(ExitCodes.USAGE, "--size", "create", "--backing", "base.qcow2", "--size", "10X", dir.resolve("o3.qcow2").toString());
    assertFalse(Files.exists(dir.resolve("o1.qcow2")) || Files.exists(dir.resolve("o2.qcow2")) || Files.exists(dir.resolve("o3.qcow2")));

    for (String[] args : new String[][] {
        {"cow", "merge", "--top", top.toString(), "--into", base.toString(), "--bogus"},
        {"cow", "map", "--bogus", top.toString()},
        {"cow", "check"},
        {"cow", "frobnicate"}}) {
      Run r = carryon(args);
      assertEquals(ExitCodes.USAGE, r.exit, String.join(" ", args) + ": " + r.err);
      String first = r.err.lines().findFirst().orElse("");
      assertTrue(first.contains("--bogus") || first.contains("IMAGE") || first.contains("frobnicate"), first);
    }
  }

  @Test
  void helpOfEverySubcommand() {
    for (String sub : new String[] {"create", "map", "check", "merge"}) {
      Run r = carryon("cow", sub, "--help");
      assertEquals(ExitCodes.OK, r.exit, r.err);
      assertTrue(r.out.startsWith("Usage: carryon cow " + sub), r.out);
    }
    Run r = carryon("cow", "--help");
    assertEquals(ExitCodes.OK, r.exit);
    for (String sub : new String[] {"create", "map", "check", "merge"}) {
      assertTrue(r.out.contains("  " + sub + " "), r.out);
    }
  }

  /** Asserts the exit code and that stderr is one line "carryon: ..." holding {@code words}. */
  private void oneLine(int exit, String words, String... cowArgs) {
    String[] args = new String[cowArgs.length + 1];
    args[0] = "cow";
    System.arraycopy(cowArgs, 0, args, 1, cowArgs.length);
    Run r = carryon(args);
    String what = String.join(" ", args) + " -> " + r.err;
    assertEquals(exit, r.exit, what);
    assertEquals(1, r.err.lines().count(), what);
    assertTrue(r.err.startsWith("carryon: ") && r.err.contains(words), what);
  }

  /** The allocation fields of a qemu-img map style JSON array, one string per run. */
  private static List<String> allocation(JsonNode map, boolean withZero) {
    List<String> out = new ArrayList<>();
    for (JsonNode x : map) {
      out.add(x.get("start") + "+" + x.get("length") + " depth " + x.get("depth") + " present " + x.get("present")
          + (withZero ? " zero " + x.get("zero") : "") + " data " + x.get("data"));
    }
    return out;
  }

  /** Zeroes the first L2 entry of {@code image} (64 KiB clusters), so its data cluster leaks. */
  private static void leakFirstCluster(Path image) throws IOException {
    try (FileChannel c = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(8);
      c.read(b, 40);
      long l1 = b.getLong(0);
      c.read(b.clear(), l1);
      long l2 = b.getLong(0) & 0x00fffffffffffe00L;
      c.write(ByteBuffer.allocate(8), l2);
    }
  }

  private static Run carryon(String... args) {
    CliRun r = CliRun.of(args);
    return new Run(r.exitCode(), r.out(), r.err());
  }


  /** Runs a QEMU tool, which must succeed; returns its output. */
  private static String qemu(String... command) throws Exception {
    Run r = qemuRun(command);
    assertEquals(0, r.exit, String.join(" ", command) + ":\n" + r.out + r.err);
    return r.out;
  }

  private static Run qemuRun(String... command) throws Exception {
    Process p = new ProcessBuilder(command).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }
}
