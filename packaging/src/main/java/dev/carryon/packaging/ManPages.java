package dev.carryon.packaging;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Man pages (man(7) macros, section 1) from the CLI's own picocli model, so they say exactly what
 * {@code --help} says: {@code carryon.1} for the whole tool and one page per command, {@code
 * carryon-resume.1}, {@code carryon-cow-merge.1}... (picocli-codegen writes AsciiDoc, which would
 * need Asciidoctor to become troff; the man macros are few enough to write directly).
 */
final class ManPages {
  /** What every page says about exit codes (cli.ExitCodes). */
  private static final String[][] EXIT_CODES = {
    {"0", "done"},
    {"1", "an unexpected failure"},
    {"2", "the command line is wrong"},
    {"3", "an input file (a carrier, an image) is missing, unreadable, damaged or of the wrong kind"},
    {"4", "refused on purpose: a lease is held, a checkpoint does not fit, a check found problems"},
    {"5", "this host lacks something the command needs (QEMU, a tool)"},
    {"130", "interrupted (Ctrl-C)"},
  };

  /** The environment the tool reads, for carryon(1). */
  private static final String[][] ENVIRONMENT = {
    {"CARRYON_HOME", "this host's carryon folder (default ~/.local/share/carryon): the host catalog, running sessions' work files, caches"},
    {"CARRYON_ACCEL", "kvm or tcg: skip the KVM probe and use this accelerator"},
    {"CARRYON_JAVA_OPTS", "extra options for the Java virtual machine"},
    {"CARRYON_DEBUG", "set: print the stack trace of an unexpected failure"},
  };

  private ManPages() {}

  /** Writes every page into {@code dir}; returns their files. */
  static List<Path> write(CommandLine carryon, String version, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> pages = new ArrayList<>();
    pages.add(write(dir, "carryon", mainPage(carryon, version)));
    for (CommandLine sub : commands(carryon)) {
      pages.add(write(dir, pageName(sub), commandPage(sub, version)));
    }
    return pages;
  }

  /**
   * Every command and subcommand below {@code cli}, depth first; not {@code help}, nor a hidden one
   * (the session keeper's process, which only resume starts).
   */
  static List<CommandLine> commands(CommandLine cli) {
    List<CommandLine> all = new ArrayList<>();
    for (CommandLine sub : cli.getSubcommands().values()) {
      if (sub.getCommandSpec().userObject() instanceof CommandLine.HelpCommand
          || sub.getCommandSpec().usageMessage().hidden()
          || all.contains(sub)) {
        continue;
      }
      all.add(sub);
      all.addAll(commands(sub));
    }
    return all;
  }

  /** {@code carryon-cow-merge} for {@code carryon cow merge}. */
  static String pageName(CommandLine cli) {
    return cli.getCommandSpec().qualifiedName("-");
  }

  private static Path write(Path dir, String name, String text) throws IOException {
    Path page = dir.resolve(name + ".1");
    Files.writeString(page, text, StandardCharsets.UTF_8);
    return page;
  }

  private static String mainPage(CommandLine carryon, String version) {
    Page p = new Page("carryon", version, carryon.getCommandSpec());
    p.section("COMMANDS");
    for (CommandLine sub : commands(carryon)) {
      p.item(
          "\\fB" + troff(sub.getCommandSpec().qualifiedName()) + "\\fR",
          firstLine(sub.getCommandSpec()) + " See " + pageName(sub) + "(1).");
    }
    p.options(carryon.getCommandSpec());
    p.section("ENVIRONMENT");
    for (String[] e : ENVIRONMENT) {
      p.item("\\fB" + troff(e[0]) + "\\fR", e[1]);
    }
    p.exitStatus();
    p.section("SEE ALSO");
    List<String> refs = new ArrayList<>();
    for (CommandLine sub : commands(carryon)) {
      refs.add("\\fB" + troff(pageName(sub)) + "\\fR(1)");
    }
    refs.add("\\fB" + troff("qemu-system-x86_64") + "\\fR(1)");
    p.raw(String.join(", ", refs));
    return p.toString();
  }

  private static String commandPage(CommandLine cli, String version) {
    CommandSpec spec = cli.getCommandSpec();
    Page p = new Page(pageName(cli), version, spec);
    List<PositionalParamSpec> params = spec.positionalParameters();
    if (!params.isEmpty()) {
      p.section("ARGUMENTS");
      for (PositionalParamSpec param : params) {
        p.item("\\fI" + troff(param.paramLabel()) + "\\fR", String.join(" ", param.description()));
      }
    }
    if (!cli.getSubcommands().isEmpty()) {
      p.section("COMMANDS");
      for (CommandLine sub : cli.getSubcommands().values()) {
        if (sub.getCommandSpec().usageMessage().hidden()) {
          continue;
        }
        p.item("\\fB" + troff(sub.getCommandName()) + "\\fR",
            firstLine(sub.getCommandSpec()) + " See " + pageName(sub) + "(1).");
      }
    }
    p.options(spec);
    p.exitStatus();
    p.section("SEE ALSO");
    p.raw("\\fBcarryon\\fR(1)");
    return p.toString();
  }

  private static String firstLine(CommandSpec spec) {
    String[] d = spec.usageMessage().description();
    return d.length == 0 ? "" : d[0];
  }

  /** Escapes text for troff: backslashes, minus signs, and a dot or quote at a line's start. */
  static String troff(String s) {
    String t = s.replace("\\", "\\e").replace("-", "\\-");
    return t.startsWith(".") || t.startsWith("'") ? "\\&" + t : t;
  }

  /** One page being written. */
  private static final class Page {
    private final StringBuilder out = new StringBuilder();

    Page(String name, String version, CommandSpec spec) {
      out.append(".\\\" Generated from carryon's command line model; do not edit.\n");
      out.append(".TH ").append(name.toUpperCase(Locale.ROOT).replace("-", "\\-"))
          .append(" 1 \"\" \"carryon ").append(troff(version)).append("\" \"carryon manual\"\n");
      section("NAME");
      out.append(troff(name)).append(" \\- ").append(troff(firstLine(spec))).append('\n');
      section("SYNOPSIS");
      out.append(".nf\n");
      String synopsis = spec.commandLine().getHelp().synopsis(0).strip();
      for (String line : synopsis.split("\n")) {
        out.append(troff(line.strip())).append('\n');
      }
      out.append(".fi\n");
      section("DESCRIPTION");
      // The description's lines are one text broken for an 80-column --help: one paragraph here.
      text(String.join(" ", spec.usageMessage().description()));
    }

    void section(String title) {
      out.append(".SH ").append(title).append('\n');
    }

    void text(String line) {
      raw(troff(line));
    }

    /** A paragraph of text already in troff. */
    void raw(String troffText) {
      out.append(".PP\n").append(troffText).append('\n');
    }

    /** A tagged paragraph: {@code tag} (already troff) and its text. */
    void item(String tag, String text) {
      out.append(".TP\n").append(tag).append('\n').append(troff(text)).append('\n');
    }

    void options(CommandSpec spec) {
      if (spec.options().isEmpty()) {
        return;
      }
      section("OPTIONS");
      for (OptionSpec o : spec.options()) {
        if (o.hidden()) {
          continue;
        }
        List<String> names = new ArrayList<>();
        for (String n : o.names()) {
          names.add("\\fB" + troff(n) + "\\fR");
        }
        String tag = String.join(", ", names) + (o.arity().max() > 0 ? " \\fI" + troff(o.paramLabel()) + "\\fR" : "");
        item(tag, describe(o));
      }
    }

    private static String describe(ArgSpec a) {
      return String.join(" ", a.description());
    }

    void exitStatus() {
      section("EXIT STATUS");
      for (String[] e : EXIT_CODES) {
        item("\\fB" + e[0] + "\\fR", e[1]);
      }
    }

    @Override
    public String toString() {
      return out.toString();
    }
  }
}
