package dev.carryon.launcher.cli;

import dev.carryon.carrier.CarrierKeys;
import dev.carryon.launcher.agent.AgentFile;
import dev.carryon.launcher.agent.AgentRequest;
import dev.carryon.launcher.agent.ClientLink;
import dev.carryon.launcher.agent.HostAgent;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.qemu.Spawner;
import dev.carryon.launcher.session.CarryonJvm;
import dev.carryon.launcher.session.StandbyKeeper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code carryon agent}: the host agent ({@link HostAgent}), started, run or stopped. */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
      "Keep a warm carryon on this host that runs resume --detach and end for the carryon",
      "command, so they start in milliseconds, not a Java VM's second. Optional: without an agent",
      "every command runs by itself, as it would with one.",
      "The agent serves commands run from the folder it was started in, with the same",
      "environment; others (and every other command) run by themselves. It listens on the",
      "loopback address, each request proven by a token in a file only you can read",
      "($CARRYON_HOME/agent), and stops once idle for --idle-minutes.",
      "Runs in the foreground until stopped (Ctrl-C, SIGTERM, carryon agent --stop), or",
      "with --detach in the background, its output in $CARRYON_HOME/agent.log.",
      "Before it serves, it rehearses a session on a throwaway carrier of an empty disk (a few",
      "seconds, under a host folder of its own), so that its first command runs as fast as the",
      "ones after it."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:done", "1:it could not start or stop", "2:bad command line"
    })
final class AgentCommand implements Callable<Integer> {
  /** Longest a detached agent may take to serve (a JVM's start on a loaded machine). */
  private static final Duration START = Duration.ofSeconds(60);

  /** The agent's output, with --detach. */
  static final String LOG = "agent.log";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--detach", description = "Start the agent in the background and return once it serves.")
  boolean detach;

  @Option(names = "--stop", description = "Stop the agent of this host's carryon folder, if one runs.")
  boolean stop;

  @Option(names = "--idle-minutes", paramLabel = "N", description = "Stop after N minutes without a command (default: ${DEFAULT-VALUE}).")
  int idleMinutes = 30;

  @Override
  public Integer call() throws Exception {
    if (idleMinutes < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--idle-minutes must be at least 1");
    }
    if (detach && stop) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--detach and --stop exclude each other");
    }
    HostHome home = HostHome.locate();
    PrintWriter out = spec.commandLine().getOut();
    if (stop) {
      out.println(stop(home.root()));
    } else if (detach) {
      out.println(startDetached(home.root()));
    } else {
      if (!SessionRehearsal.run(home, out, "carryon agent")) {
        return ExitCodes.INTERRUPTED; // stopped while it rehearsed: it never serves
      }
      HostAgent.serve(home.root(), Duration.ofMinutes(idleMinutes), new Runner(home, out), out);
    }
    out.flush();
    return ExitCodes.OK;
  }

  /** The agent that serves {@code home}, if one runs. */
  private static Optional<ProcessHandle> running(Path home) {
    return AgentFile.read(home).flatMap(f -> ProcessHandle.of(f.pid())).filter(AgentCommand::isAgent);
  }

  private static String stop(Path home) throws IOException {
    Optional<ProcessHandle> agent = running(home);
    if (agent.isEmpty()) {
      Files.deleteIfExists(home.resolve(AgentFile.NAME));
      return "no agent runs for " + home;
    }
    agent.get().destroy();
    if (!Spawner.waitFor(agent.get(), Duration.ofSeconds(10))) {
      throw new CarryonException(ExitCodes.FAILURE, "the agent (pid " + agent.get().pid() + ") did not stop within 10 s");
    }
    return "stopped the agent of " + home + " (pid " + agent.get().pid() + ")";
  }

  /**
   * Whether {@code p} is a carryon agent (a pid in a stale file may be anyone's now), by its
   * command line in {@code /proc}: the JDK's {@code ProcessHandle.Info} cuts a long one short.
   */
  private static boolean isAgent(ProcessHandle p) {
    try {
      String cmdline = Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
      return cmdline.contains("\0" + Main.class.getName() + "\0agent\0");
    } catch (IOException e) {
      return false;
    }
  }

  private String startDetached(Path home) throws IOException {
    Optional<ProcessHandle> running = running(home);
    if (running.isPresent()) {
      return "an agent already serves " + home + " (pid " + running.get().pid() + ")";
    }
    Path log = home.resolve(LOG);
    // Big arrays straight into the old generation, as ./carryon says why (Argon2id's, per resume).
    ProcessHandle agent =
        CarryonJvm.startDetached(
            List.of("-XX:+UseSerialGC", "-XX:PretenureSizeThreshold=16m"),
            List.of("agent", "--idle-minutes", Integer.toString(idleMinutes)), log, Map.of());
    long deadline = System.nanoTime() + START.toNanos();
    while (AgentFile.read(home).filter(f -> f.pid() == agent.pid()).isEmpty()) {
      if (!agent.isAlive() || System.nanoTime() - deadline > 0) {
        agent.destroy();
        throw new CarryonException(ExitCodes.FAILURE, "the agent did not start; see " + log);
      }
      Spawner.waitFor(agent, Duration.ofMillis(20));
    }
    return "agent serving " + home + " (pid " + agent.pid() + "); stop it with: carryon agent --stop";
  }

  /** Runs the CLI's commands for the agent: resume --detach and end, as they run alone. */
  static final class Runner implements HostAgent.Runner {
    private final HostHome home;
    private final PrintWriter log;
    /** The agent's own code, as it was when it started. */
    private final ClassPathStamp code = ClassPathStamp.ofThisJvm();
    /** When the last resume ended ({@link System#nanoTime}); long ago at first. */
    private long lastResume = System.nanoTime() - StandbyKeeper.SETTLE.toNanos();

    Runner(HostHome home, PrintWriter log) {
      this.home = home;
      this.log = log;
    }

    /** Parsed as the command will parse them, so that an option's value is not taken for one. */
    @Override
    public Optional<String> declines(List<String> args) {
      String[] words = args.toArray(String[]::new);
      CommandLine.ParseResult parsed;
      try {
        parsed = Main.newCommandLine(words).parseArgs(words);
      } catch (CommandLine.ParameterException e) {
        return Optional.of("the command reports its own command-line mistakes");
      }
      CommandLine.ParseResult command = parsed.subcommand();
      if (parsed.isUsageHelpRequested() || parsed.isVersionHelpRequested() || command == null
          || command.isUsageHelpRequested() || command.isVersionHelpRequested()) {
        return Optional.of("help is the command's own");
      }
      String name = command.commandSpec().name();
      if (name.equals("resume")) {
        return command.hasMatchedOption("--detach")
            ? Optional.empty()
            : Optional.of("resume without --detach runs the session in the command's own process");
      }
      if (name.equals("end")) {
        return command.hasMatchedOption("--wait")
            ? Optional.of("end --wait waits on the person, who may stop it with Ctrl-C")
            : Optional.empty();
      }
      return Optional.of("only resume --detach and end are run by the agent");
    }

    @Override
    public int run(AgentRequest request, ClientLink link) {
      PrintStream systemOut = System.out;
      PrintStream systemErr = System.err;
      OutputStream stdout = link.out();
      OutputStream stderr = link.err();
      PrintWriter out = new PrintWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8));
      PrintWriter err = new PrintWriter(new OutputStreamWriter(stderr, StandardCharsets.UTF_8));
      try {
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        Terminal.use(new Terminal() {
          @Override
          boolean present() {
            return request.stdinTty() && request.stdoutTty();
          }

          @Override
          char[] readHidden(String prompt) {
            return present() ? link.askHidden(prompt) : null;
          }
        });
        return Main.execute(out, err, request.args().toArray(String[]::new));
      } catch (RuntimeException | Error e) {
        err.println("carryon: the agent failed running the command: " + e);
        return ExitCodes.FAILURE;
      } finally {
        if (request.args().get(0).equals("resume")) {
          lastResume = System.nanoTime();
        }
        out.flush();
        err.flush();
        System.setOut(systemOut);
        System.setErr(systemErr);
        Terminal.use(null);
        // As a new process would start: no key or passphrase source is left for the next command.
        CarrierKeys.forget();
        Passphrases.install(null);
      }
    }

    /**
     * Starts a session keeper ahead of the next resume ({@link StandbyKeeper}): at once after any
     * other command, {@link StandbyKeeper#SETTLE} after a resume.
     */
    @Override
    public Optional<String> between() {
      Optional<Path> changed = code.changed();
      if (changed.isPresent()) {
        return Optional.of(changed.get() + " changed since the agent started (carryon was rebuilt"
            + " or upgraded): the next command runs the new code by itself");
      }
      if (System.nanoTime() - lastResume < StandbyKeeper.SETTLE.toNanos()) {
        return Optional.empty();
      }
      try {
        StandbyKeeper.prepare(home);
      } catch (IOException | RuntimeException e) {
        log.println("carryon agent: could not start a keeper ahead: " + e.getMessage());
        log.flush();
      }
      return Optional.empty();
    }

    @Override
    public void stopping() {
      StandbyKeeper.discard();
    }
  }
}
