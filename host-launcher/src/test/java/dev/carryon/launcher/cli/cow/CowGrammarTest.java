package dev.carryon.launcher.cli.cow;

import static org.junit.jupiter.api.Assertions.*;

import dev.carryon.launcher.cli.Main;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** The argument grammar of the cow commands, parsed only (nothing runs). */
class CowGrammarTest {
  private static Object parse(String... args) {
    String[] words = new String[args.length + 1];
    words[0] = "cow";
    System.arraycopy(args, 0, words, 1, args.length);
    ParseResult r = Main.commandLine().parseArgs(words);
    return r.subcommand().subcommand().commandSpec().userObject();
  }

  private static void refused(String... args) {
    assertThrows(CommandLine.ParameterException.class, () -> parse(args), String.join(" ", args));
  }

  @Test
  void create() {
    CowCreateCommand c = (CowCreateCommand) parse("create", "--backing", "base.qcow2", "top.qcow2");
    assertEquals("base.qcow2", c.backing());
    assertEquals(Path.of("top.qcow2"), c.out());
    assertNull(c.backingFormat());
    assertNull(c.size());
    assertEquals(64 << 10, c.clusterSize());
    c = (CowCreateCommand) parse(
        "create", "--backing=b.raw", "--backing-format", "raw", "--size", "10G", "--cluster-size", "4K", "o.qcow2");
    assertEquals("raw", c.backingFormat());
    assertEquals(10L << 30, c.size());
    assertEquals(4 << 10, c.clusterSize());
    refused("create", "top.qcow2"); // --backing is required
    refused("create", "--backing", "b.qcow2"); // OUT is required
    refused("create", "--backing", "b.qcow2", "a.qcow2", "b.qcow2");
  }

  @Test
  void map() {
    CowMapCommand m = (CowMapCommand) parse("map", "disk.qcow2");
    assertEquals(Path.of("disk.qcow2"), m.image());
    assertFalse(m.json());
    assertFalse(m.layerOnly());
    m = (CowMapCommand) parse("map", "--json", "--layer-only", "disk.qcow2");
    assertTrue(m.json() && m.layerOnly());
    refused("map");
    refused("map", "--bogus", "disk.qcow2");
  }

  @Test
  void check() {
    CowCheckCommand c = (CowCheckCommand) parse("check", "--json", "--repair-leaks", "disk.qcow2");
    assertEquals(Path.of("disk.qcow2"), c.image());
    assertTrue(c.json() && c.repairLeaks());
    refused("check");
  }

  @Test
  void merge() {
    CowMergeCommand m = (CowMergeCommand) parse("merge", "--top", "t.qcow2", "--into", "b.qcow2", "--json");
    assertEquals(Path.of("t.qcow2"), m.top());
    assertEquals(Path.of("b.qcow2"), m.target());
    assertTrue(m.json());
    refused("merge", "--top", "t.qcow2");
    refused("merge", "--into", "b.qcow2");
    refused("merge", "--top", "t.qcow2", "--into", "b.qcow2", "extra");
  }
}
