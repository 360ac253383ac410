package dev.carryon.launcher.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.carryon.launcher.session.SessionKit;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestCarrier;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host agent as the launcher script uses it: the real client ({@code
 * scripts/agent-client.bash}) in bash, the agent a {@code carryon agent} process, the guest the
 * real test guest. A command the agent runs prints and exits as it does alone; one it may not run
 * is left to the script; what is not a request from this user is refused.
 */
class HostAgentTest {
  /** The launcher's client, sourced by {@code ./carryon}. */
  private static final Path CLIENT =
      Path.of("..", "scripts", "agent-client.bash").toAbsolutePath().normalize();

  /** The script's exit code when the agent did not run the command (it would run it itself). */
  private static final int LEFT_TO_SCRIPT = 99;

  /** Where the agent and the scripts run: the same folder, as the agent requires. */
  private static final Path CWD = Path.of("").toAbsolutePath();

  /** How the agent's rehearsal names its throwaway folder. */
  private static final String REHEARSAL = "carryon-rehearsal-";

  @TempDir Path dir;

  private final List<Process> agents = new ArrayList<>();

  @AfterEach
  void stopAgents() throws InterruptedException {
    for (Process p : agents) {
      p.destroy();
      p.waitFor(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void resumeAndEndRunInTheAgentAsTheyRunAlone() throws Exception {
    TestHost host = SessionKit.host(dir, "a");
    TestCarrier carrier = SessionKit.initCarrier(host, dir.resolve("carrier"));
    Files.createDirectories(host.home());
    // As on a PC where carryon never asked its QEMU yet: the rehearsal learns QEMU's facts.
    Files.deleteIfExists(host.home().resolve("qemu-facts.json"));
    Path homeBefore = FileTrees.copyTree(host.home(), dir.resolve("home-before"));
    Process agent = startAgent(host);
    Path file = host.home().resolve(AgentFile.NAME);
    // Before it served, it rehearsed a session under a host folder of its own: this host's folder
    // gained only the agent's file, the keeper it started ahead and what the rehearsal learned of
    // KVM and QEMU that the host did not know yet, and nothing of the rehearsal is left, on disk
    // or running.
    String started = Files.readString(host.home().resolveSibling("agent.out"));
    assertTrue(started.contains("carryon agent: rehearsed a session in "), started);
    Path firstAhead = SessionKit.awaitKeeperAhead(host);
    List<String> gained = new ArrayList<>(FileTrees.list(host.home()));
    gained.removeAll(FileTrees.list(homeBefore));
    gained.removeIf(name -> host.home().resolve(name).startsWith(firstAhead));
    // (The tests force the accelerator: there is no KVM probe to learn.)
    assertEquals(List.of(AgentFile.NAME, "qemu-facts.json", "sessions"), gained.stream().sorted().toList());
    for (String name : FileTrees.list(homeBefore)) {
      Path was = homeBefore.resolve(name);
      if (Files.isRegularFile(was)) {
        assertArrayEquals(Files.readAllBytes(was), Files.readAllBytes(host.home().resolve(name)), name);
      }
    }
    try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertEquals(List.of(), tmp.filter(p -> p.getFileName().toString().startsWith(REHEARSAL)).toList());
    }
    assertEquals(List.of(), ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").contains(REHEARSAL)).toList());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

    Path console = dir.resolve("console1.log");
    Run resumed = client(host, CWD, "resume", carrier.toString(), "--detach", "--console", console.toString()).expect(0);
    assertTrue(resumed.out().contains("cold-booted generation 1 of " + carrier), resumed.toString());
    assertTrue(resumed.out().contains("detached (QEMU pid "), resumed.toString());
    SessionKit.firstTick(new ConsoleLog(console));
    Run ended = client(host, CWD, "end", carrier.toString()).expect(0);
    assertTrue(ended.out().contains("generation 2 committed"), ended.toString());

    // The next resume takes the keeper the agent started ahead: the session is that keeper's.
    Path ahead = SessionKit.awaitKeeperAhead(host);
    Path console2 = dir.resolve("console2.log");
    Run again = client(host, CWD, "resume", carrier.toString(), "--detach", "--console", console2.toString()).expect(0);
    assertTrue(again.out().contains("resumed generation 2 of " + carrier), again.toString());
    assertTrue(again.out().contains("(session " + ahead.getFileName() + ","), again + " did not take " + ahead);
    SessionKit.firstTick(new ConsoleLog(console2));
    client(host, CWD, "end", carrier.toString()).expect(0);

    // A command that fails fails alike: same exit code, same message.
    String notACarrier = Files.createDirectories(dir.resolve("not-a-carrier")).toString();
    Run viaAgent = client(host, CWD, "end", notACarrier);
    Run alone = host.run("end", notACarrier);
    assertEquals(3, alone.exit(), alone.toString());
    assertEquals(alone.exit(), viaAgent.exit(), viaAgent + " / " + alone);
    assertEquals(alone.errorLine(), viaAgent.errorLine());

    String log = Files.readString(host.home().resolveSibling("agent.out"));
    assertEquals(5, log.lines().filter(l -> l.startsWith("carryon agent: ran [")).count(), log);
    assertTrue(agent.isAlive());
  }

  @Test
  void aRehearsalThatFailsLeavesNothingAndTheAgentServes() throws Exception {
    TestHost host = SessionKit.host(dir, "r");
    Files.createDirectories(host.home());
    Process agent = startAgent(host, Map.of("CARRYON_QEMU", dir.resolve("no-qemu").toString()));
    String log = Files.readString(host.home().resolveSibling("agent.out"));
    assertTrue(log.contains("carryon agent: the rehearsal of a session failed (its first resume will"
        + " be slower): carryon init exited 5: carryon: QEMU is not installed"), log);
    assertTrue(log.contains("carryon agent: serving " + host.home()), log);
    assertEquals(List.of(AgentFile.NAME), FileTrees.list(host.home()));
    try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertEquals(List.of(), tmp.filter(p -> p.getFileName().toString().startsWith(REHEARSAL)).toList());
    }
    assertTrue(agent.isAlive());
  }

  @Test
  void anAgentStoppedWhileItRehearsesLeavesNothingRunning() throws Exception {
    TestHost host = SessionKit.host(dir, "s");
    Files.createDirectories(host.home());
    Process agent = host.start(Map.of(), host.home().resolveSibling("agent.out"),
        host.home().resolveSibling("agent.err"), "agent", "--idle-minutes", "10");
    agents.add(agent);
    Path rehearsals = Path.of(System.getProperty("java.io.tmpdir"), REHEARSAL);
    long deadline = System.nanoTime() + SessionKit.BOOT.toNanos();
    while (SessionKit.qemusUnder(rehearsals).isEmpty()) {
      assertTrue(agent.isAlive() && System.nanoTime() < deadline, "the rehearsal started no QEMU");
      Thread.sleep(10);
    }
    agent.destroy(); // SIGTERM, as systemd or kill sends it: no finally block runs, the hooks do
    assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "the agent did not stop");
    assertEquals(List.of(), SessionKit.qemusUnder(rehearsals), "the rehearsal's QEMU runs on");
    assertEquals(List.of(), SessionKit.keepersUnder(rehearsals), "the rehearsal's keeper runs on");
    try (Stream<Path> tmp = Files.list(rehearsals.getParent())) {
      assertEquals(List.of(), tmp.filter(p -> p.getFileName().toString().startsWith(REHEARSAL)).toList());
    }
    assertEquals(List.of(), FileTrees.list(host.home()), "the agent served, or left files");
  }

  @Test
  void whatTheAgentMayNotRunIsLeftToTheScript() throws Exception {
    TestHost host = SessionKit.host(dir, "b");
    Files.createDirectories(dir.resolve("carrier"));
    startAgent(host);
    String carrier = dir.resolve("carrier").toString();
    // Run from another folder, relative paths would name other files.
    client(host, dir, "end", carrier).expect(LEFT_TO_SCRIPT);
    // Help is the command's own; a foreground resume or end --wait waits on the person.
    client(host, CWD, "end", "--help").expect(LEFT_TO_SCRIPT);
    client(host, CWD, "resume", carrier).expect(LEFT_TO_SCRIPT);
    client(host, CWD, "resume", carrier, "--console", "--detach").expect(LEFT_TO_SCRIPT); // a file named --detach
    client(host, CWD, "resume", "--no-such-option", carrier).expect(LEFT_TO_SCRIPT);
    client(host, CWD, "end", "--wait", carrier).expect(LEFT_TO_SCRIPT);
    client(host, CWD, "status", carrier).expect(LEFT_TO_SCRIPT);
    // Another environment: the command might see another CARRYON_* setting, DISPLAY, PATH...
    client(host, Map.of("CARRYON_PASSPHRASE_FILE", "/x"), CWD, "end", carrier).expect(LEFT_TO_SCRIPT);
    String log = Files.readString(host.home().resolveSibling("agent.out"));
    assertTrue(log.contains("declined [end, " + carrier + "]: it runs in " + CWD + ", the command in " + dir.toRealPath()), log);
    assertTrue(log.contains("the command's environment differs from the agent's in [CARRYON_PASSPHRASE_FILE]"), log);
    assertFalse(log.contains("carryon agent: ran ["), log);
    // Without an agent, or with its file gone, the script runs every command itself.
    client(host, CWD, "end", carrier).expect(3); // the agent ran it: not a carrier
    Files.delete(host.home().resolve(AgentFile.NAME));
    client(host, CWD, "end", carrier).expect(LEFT_TO_SCRIPT);
  }

  @Test
  void aPassphraseIsAskedOnTheScriptsTerminalAndNoKeyOutlivesItsCommand() throws Exception {
    TestHost host = SessionKit.host(dir, "c");
    Path pass = dir.resolve("pass");
    Files.writeString(pass, "right one\n");
    TestCarrier carrier = SessionKit.initCarrier(host, dir.resolve("carrier"), "--encrypt", "--passphrase-file", pass.toString());
    startAgent(host);
    AgentFile file = AgentFile.read(host.home()).orElseThrow();
    Map<String, String> env = environment(host, Map.of());
    List<String> args = List.of("resume", carrier.toString(), "--detach", "--console", dir.resolve("c.log").toString());
    byte[] manifest = Files.readAllBytes(carrier.resolve("carryon.json"));
    // A terminal (stdin and stdout): asked there, a wrong answer refused as alone (exit 3).
    WireClient.Answer wrong = WireClient.send(file.port(),
        WireClient.request(file.token(), CWD.toString(), "111", env, args), List.of("wrong one"));
    assertEquals(List.of("passphrase of " + carrier + ": "), wrong.asked());
    assertEquals(3, wrong.exit(), wrong.toString());
    assertTrue(wrong.err().contains("wrong passphrase"), wrong.toString());
    // No terminal: refused as alone, asking nothing.
    WireClient.Answer none = WireClient.send(file.port(),
        WireClient.request(file.token(), CWD.toString(), "000", env, args), List.of());
    assertEquals(List.of(), none.asked());
    assertEquals(3, none.exit(), none.toString());
    assertTrue(none.err().contains("no terminal to ask on"), none.toString());
    assertArrayEquals(manifest, Files.readAllBytes(carrier.resolve("carryon.json")), "a refused resume changed the carrier");
    // The right one, asked again: the wrong one was not kept, nor a key unlocked before.
    WireClient.Answer right = WireClient.send(file.port(),
        WireClient.request(file.token(), CWD.toString(), "111", env, args), List.of("right one"));
    assertEquals(1, right.asked().size(), right.toString());
    assertEquals(0, right.exit(), right.toString());
    SessionKit.firstTick(new ConsoleLog(dir.resolve("c.log")));
    host.run(Map.of("CARRYON_PASSPHRASE_FILE", pass.toString()), "end", carrier.toString()).expect(0);
  }

  @Test
  void aRequestWithoutTheTokenIsRefusedAndTheAgentServesOn() throws Exception {
    TestHost host = SessionKit.host(dir, "d");
    Files.createDirectories(dir.resolve("carrier"));
    startAgent(host);
    AgentFile file = AgentFile.read(host.home()).orElseThrow();
    Map<String, String> env = environment(host, Map.of());
    List<String> args = List.of("end", dir.resolve("carrier").toString());
    WireClient.Answer refused = WireClient.send(file.port(),
        WireClient.request("0".repeat(64), CWD.toString(), "000", env, args), List.of());
    assertEquals("declined wrong token", refused.first());
    WireClient.Answer garbage = WireClient.send(file.port(), "GET / HTTP/1.1\r\n\r\n\0".getBytes(), List.of());
    assertTrue(garbage.first().startsWith("declined not a carryon agent request"), garbage.toString());
    // A script that stopped waiting (the agent busy) runs the command itself: not run again here.
    WireClient.sendAndLeave(file.port(), WireClient.request(file.token(), CWD.toString(), "000", env, args));
    WireClient.Answer served = WireClient.send(file.port(),
        WireClient.request(file.token(), CWD.toString(), "000", env, args), List.of());
    assertEquals("run", served.first());
    assertEquals(3, served.exit(), served.toString());
    assertTrue(served.err().contains("not a carrier"), served.toString());
    String log = Files.readString(host.home().resolveSibling("agent.out"));
    assertTrue(log.contains("carryon agent: the script of [end, " + args.get(1) + "] stopped waiting and ran it itself"), log);
    assertEquals(1, log.lines().filter(l -> l.startsWith("carryon agent: ran [")).count(), log);
  }

  @Test
  void stopAndDetachSayWhatTheyDid() throws Exception {
    TestHost host = SessionKit.host(dir, "e");
    host.run("agent", "--stop").expect(0);
    Run detached = host.run("agent", "--detach", "--idle-minutes", "2").expect(0);
    assertTrue(detached.out().startsWith("agent serving " + host.home()), detached.toString());
    long pid = AgentFile.read(host.home()).orElseThrow().pid();
    assertTrue(host.run("agent", "--detach").expect(0).out().startsWith("an agent already serves"));
    Run stopped = host.run("agent", "--stop").expect(0);
    assertEquals("stopped the agent of " + host.home() + " (pid " + pid + ")\n", stopped.out());
    assertTrue(gone(pid), "the agent " + pid + " still runs");
    assertFalse(Files.exists(host.home().resolve(AgentFile.NAME)));
    try (Stream<Path> sessions = Files.list(host.home().resolve("sessions"))) {
      assertEquals(List.of(), sessions.toList(), "the keeper it started ahead left its folder");
    }
    assertEquals("no agent runs for " + host.home() + "\n", host.run("agent", "--stop").expect(0).out());
    assertEquals(2, host.run("agent", "--idle-minutes", "0").exit());
  }

  @Test
  void anAgentWhoseHomeIsRemovedStopsAndDoesNotMakeItAgain() throws Exception {
    TestHost host = SessionKit.host(dir, "f");
    Process agent = startAgent(host);
    SessionKit.awaitKeeperAhead(host);
    FileTrees.deleteTree(host.home());
    assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "the agent still runs");
    assertFalse(Files.exists(host.home()), "the agent made its home again");
  }

  /** Whether {@code pid} has exited (a zombie has: its parent, not this JVM, reaps it). */
  private static boolean gone(long pid) throws IOException {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (java.nio.file.NoSuchFileException e) {
      return true;
    }
  }

  /** Starts {@code carryon agent} for {@code host}, its output in agent.out beside its home. */
  private Process startAgent(TestHost host) throws IOException, InterruptedException {
    return startAgent(host, Map.of());
  }

  /** As {@link #startAgent(TestHost)}, with {@code env} added to the agent's environment. */
  private Process startAgent(TestHost host, Map<String, String> env) throws IOException, InterruptedException {
    Files.createDirectories(host.home());
    Process p = host.start(env, host.home().resolveSibling("agent.out"),
        host.home().resolveSibling("agent.err"), "agent", "--idle-minutes", "10");
    agents.add(p);
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (AgentFile.read(host.home()).filter(f -> f.pid() == p.pid()).isEmpty()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        fail("the agent did not serve: " + Files.readString(host.home().resolveSibling("agent.err")));
      }
      Thread.sleep(20);
    }
    return p;
  }

  private Run client(TestHost host, Path cwd, String... args) throws IOException, InterruptedException {
    return client(host, Map.of(), cwd, args);
  }

  /**
   * Runs the launcher's client as {@code ./carryon} does for {@code args}; exit {@value
   * #LEFT_TO_SCRIPT} when it returned, leaving the command to the script.
   */
  private Run client(TestHost host, Map<String, String> env, Path cwd, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", "-c",
        "source \"$0\"; carryon_agent_run \"$@\"; exit " + LEFT_TO_SCRIPT, CLIENT.toString()));
    command.addAll(List.of(args));
    return host.run(host.builder(command, env).directory(cwd.toFile()), args);
  }

  /** The environment {@code host}'s commands (and so its agent) get. */
  private static Map<String, String> environment(TestHost host, Map<String, String> extra) {
    return new HashMap<>(host.builder(List.of("true"), extra).environment());
  }
}
