package dev.carryon.launcher.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.launcher.qemu.QemuTool;
import dev.carryon.testdata.ConsoleLog;
import dev.carryon.testdata.FileTrees;
import dev.carryon.testdata.TestGuest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Shared by the session tests: "hosts" (each a {@code CARRYON_HOME} folder) that run the carryon
 * CLI as child JVMs, as a user does; carriers made from the test guest; the guest's console; and
 * the QEMUs a test started, found by the test's folder in their command lines.
 */
public final class SessionKit {
  /** Cold boot of the test guest to its first ticks under TCG, with room for a busy machine. */
  public static final Duration BOOT = Duration.ofSeconds(90);
  /** Longest any one command may take. */
  private static final Duration COMMAND = Duration.ofMinutes(3);
  /** Kernel arguments of every carrier made here: ticks every half second. */
  public static final String APPEND = "console=ttyS0 panic=-1 no_timer_check quiet tick=0.5";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger runs = new AtomicInteger();

  private SessionKit() {}

  /** What a finished command printed and returned. */
  public record Run(List<String> command, int exit, String out, String err) {
    /** Asserts the exit code, quoting the command and its output when it differs. */
    public Run expect(int code) {
      assertEquals(code, exit, () -> "exit code of " + this);
      return this;
    }

    /** The one line {@code carryon: ...} the error reporter printed; fails unless exactly one. */
    public String errorLine() {
      List<String> lines = err.lines().filter(l -> l.startsWith("carryon: ")).toList();
      assertEquals(1, lines.size(), () -> "one 'carryon:' line expected from " + this);
      return lines.get(0);
    }

    @Override
    public String toString() {
      return "carryon " + String.join(" ", command) + " (exit " + exit + ")\n--- stdout:\n" + out
          + "--- stderr:\n" + err;
    }
  }

  /**
   * One host: its carryon folder, the host name its leases carry, and environment variables of
   * every command run from it (e.g. {@code CARRYON_QEMU} for a host with another QEMU), and the
   * umask its commands start under (null: this JVM's).
   */
  public record TestHost(Path home, String name, Map<String, String> env, String umask) {
    public TestHost(Path home, String name) {
      this(home, name, Map.of());
    }

    public TestHost(Path home, String name, Map<String, String> env) {
      this(home, name, env, null);
    }

    /** This host with every command started under {@code umask} (e.g. "000"), set by a shell. */
    public TestHost withUmask(String umask) {
      return new TestHost(home, name, env, umask);
    }

    /** Runs {@code carryon args...} from this host and waits for it. */
    public Run run(String... args) throws IOException, InterruptedException {
      return run(Map.of(), args);
    }

    /** Like {@link #run(String...)} with extra environment variables. */
    public Run run(Map<String, String> env, String... args)
        throws IOException, InterruptedException {
      return run(command(env, args), args);
    }

    /**
     * Runs {@code process} (this host's {@link #builder}, for a command other than carryon's own,
     * such as the launcher script's agent client, given {@code args}) and waits for it.
     */
    public Run run(ProcessBuilder process, String... args) throws IOException, InterruptedException {
      Files.createDirectories(home);
      int n = runs.incrementAndGet();
      Path out = home.resolveSibling(name + "-run" + n + ".out");
      Path err = home.resolveSibling(name + "-run" + n + ".err");
      Process p = process.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(COMMAND.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        fail("carryon " + String.join(" ", args) + " did not finish within " + COMMAND);
      }
      return new Run(
          List.of(args), p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /**
     * Starts {@code carryon args...} from this host without waiting; stdout and stderr go to the
     * given files.
     */
    public Process start(Map<String, String> env, Path out, Path err, String... args)
        throws IOException {
      Files.createDirectories(home);
      return command(env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    }

    /** {@code carryon args...} as this host runs it. */
    private ProcessBuilder command(Map<String, String> env, String... args) {
      // Ctrl-C's signal as a terminal delivers it, even when the tests run in the background of a
      // shell, which ignores SIGINT for its children (and the JVM installs no handler for an
      // ignored signal): the foreground resume's test sends it.
      List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT"));
      if (umask != null) {
        command.addAll(List.of("/bin/sh", "-c", "umask " + umask + " && exec \"$0\" \"$@\""));
      }
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-XX:+UseSerialGC");
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add("dev.carryon.launcher.cli.Main");
      command.addAll(List.of(args));
      return builder(command, env);
    }

    /** {@code command} with this host's environment (and {@code env}), as every command gets it. */
    public ProcessBuilder builder(List<String> command, Map<String, String> env) {
      ProcessBuilder pb = new ProcessBuilder(command);
      Map<String, String> e = pb.environment();
      e.keySet().removeIf(k -> k.startsWith("CARRYON_") && !k.equals("CARRYON_TESTGUEST_DIR"));
      e.put("CARRYON_HOME", home.toString());
      e.put("CARRYON_ACCEL", "tcg"); // the KVM of these machines can hang a guest
      e.put("HOSTNAME", name);
      e.putAll(this.env);
      e.putAll(env);
      return pb;
    }

    /**
     * {@code carryon init} of {@code carrier} from the test guest (its disk, kernel, initrd and
     * memory) with {@code settings} added to its kernel command line; expects success.
     */
    public Run initTestGuest(TestCarrier carrier, String... settings)
        throws IOException, InterruptedException {
      TestGuest guest = TestGuest.get();
      return run("init", carrier.toString(),
              "--image", guest.disk().toString(),
              "--kernel", guest.kernel().toString(),
              "--initrd", guest.initrd().toString(),
              "--append", guest.append(settings),
              "--memory", TestGuest.MEMORY_MIB + "M")
          .expect(0);
    }

    /** {@code carryon status --json} of {@code carrier}, parsed. */
    public JsonNode status(TestCarrier carrier) throws IOException, InterruptedException {
      return JSON.readTree(run("status", carrier.toString(), "--json").expect(0).out());
    }

    /** Resumes {@code carrier} detached with its console in {@code console}; expects success. */
    public Run resume(TestCarrier carrier, Path console, String... extra)
        throws IOException, InterruptedException {
      List<String> args = new ArrayList<>(List.of("resume", carrier.toString(), "--detach", "--console", console.toString()));
      args.addAll(List.of(extra));
      return run(args.toArray(String[]::new)).expect(0);
    }

    /** Ends this host's session on {@code carrier}; expects success. */
    public Run end(TestCarrier carrier) throws IOException, InterruptedException {
      return run("end", carrier.toString()).expect(0);
    }
  }

  /**
   * A carrier as the session tests use it: the CARRIER argument the CLI is given, and the folder
   * that holds its files, for checks beside the CLI (qemu-img, fingerprints, cut points).
   *
   * @param arg what the CLI is given as CARRIER
   * @param folder where the carrier's files are
   */
  public record TestCarrier(String arg, Path folder) {
    /** The file of carrier file {@code name}. */
    public Path resolve(String name) {
      return folder.resolve(name);
    }

    /** The CLI's argument, so that {@code carrier.toString()} is what a command is given. */
    @Override
    public String toString() {
      return arg;
    }
  }

  /**
   * The carrier of the session tests whose files are in {@code folder}, as the CLI reaches it: the
   * one place they make one (a folder given by its path; a test matrix over other storages makes
   * them here).
   */
  public static TestCarrier carrierAt(Path folder) {
    return new TestCarrier(folder.toString(), folder);
  }

  /** The storage of the carrier in folder {@code folder}, for checks beside the CLI. */
  public static CarrierStorage storage(Path folder) {
    return FolderStorage.of(folder);
  }

  /** Opens the carrier in {@code folder} read-only. */
  public static Carrier open(Path folder) throws IOException {
    return Carrier.open(storage(folder));
  }

  /** Opens {@code carrier} read-only, through its folder. */
  public static Carrier open(TestCarrier carrier) throws IOException {
    return open(carrier.folder());
  }

  /** Opens the carrier in {@code folder} to write it, as a test command. */
  public static Carrier openForWrite(Path folder) throws IOException {
    return Carrier.openForWrite(storage(folder), "session test");
  }

  /** The local file of carrier file {@code name} of a carrier in a folder. */
  public static Path file(Carrier c, String name) {
    return Path.of(c.describe(name));
  }

  /** A host named {@code name} whose folder is {@code dir/name}. */
  public static TestHost host(Path dir, String name) {
    return new TestHost(dir.resolve(name), name);
  }

  /**
   * Makes a carrier in {@code folder} from the test guest with {@code init} run on {@code host};
   * {@code extra} options are added (e.g. {@code --keep 2}).
   */
  public static TestCarrier initCarrier(TestHost host, Path folder, String... extra)
      throws IOException, InterruptedException {
    TestCarrier carrier = carrierAt(folder);
    init(host, carrier, extra);
    return carrier;
  }

  /** Like {@link #initCarrier}, returning what init printed. */
  public static Run init(TestHost host, TestCarrier carrier, String... extra)
      throws IOException, InterruptedException {
    QemuTool.SYSTEM.locate(); // fail, not skip, without QEMU
    TestGuest guest = TestGuest.get();
    List<String> args =
        new ArrayList<>(
            List.of(
                "init", carrier.toString(),
                "--image", guest.disk().toString(),
                "--kernel", guest.kernel().toString(),
                "--initrd", guest.initrd().toString(),
                "--memory", TestGuest.MEMORY_MIB + "M"));
    if (!List.of(extra).contains("--append")) {
      args.addAll(List.of("--append", APPEND));
    }
    args.addAll(List.of(extra));
    return host.run(args.toArray(String[]::new)).expect(0);
  }

  /** A copy of the carrier {@code made}, beside it and named {@code name}, for a test to change. */
  public static TestCarrier copyCarrier(TestCarrier made, String name) throws IOException {
    Path copy = made.folder().resolveSibling(name);
    FileTrees.copyTree(made.folder(), copy);
    return carrierAt(copy);
  }

  /** Waits for a tick numbered above {@code n} and returns the last tick seen. */
  public static ConsoleLog.Tick tickAbove(ConsoleLog console, long n) {
    long deadline = System.nanoTime() + BOOT.toNanos();
    while (true) {
      console.waitFor(ConsoleLog.TICK, BOOT);
      ConsoleLog.Tick last = console.lastTick().orElseThrow();
      if (last.n() > n) {
        return last;
      }
      if (System.nanoTime() > deadline) {
        fail("no tick above " + n + " within " + BOOT + "; last " + last);
      }
      sleep(100);
    }
  }

  /** The first tick the console shows, waiting for it. */
  public static ConsoleLog.Tick firstTick(ConsoleLog console) {
    Matcher m = ConsoleLog.TICK.matcher(console.waitFor(ConsoleLog.TICK, BOOT));
    assertTrue(m.find());
    return new ConsoleLog.Tick(Long.parseLong(m.group(1)), m.group(2));
  }

  /** Lines of the console matching the boot marker. */
  public static List<String> bootMarkers(ConsoleLog console) {
    return console.lines().stream().filter(l -> ConsoleLog.BOOT.matcher(l).find()).toList();
  }

  /** Runs {@code qemu-img args...}, expects {@code exit}, returns its stdout. */
  public static String qemuImg(int exit, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(QemuTool.IMG.locate().toString());
    command.addAll(List.of(args));
    return tool(command, exit);
  }

  /** Runs a host tool, expects {@code exit}, returns its stdout. */
  public static String tool(List<String> command, int exit)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(COMMAND.toSeconds(), TimeUnit.SECONDS), String.join(" ", command));
    assertEquals(exit, p.exitValue(), () -> String.join(" ", command) + ":\n" + out);
    return out;
  }

  /** True when {@code a} and {@code b} read the same guest content (qemu-img compare). */
  public static boolean sameContent(Path a, Path b) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(QemuTool.IMG.locate().toString(), "compare", "-q", a.toString(), b.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    if (p.exitValue() > 1) {
      fail("qemu-img compare " + a + " " + b + " failed: " + out);
    }
    return p.exitValue() == 0;
  }

  /**
   * Every file of {@code carrier} with its bytes' SHA-256 (relative name to hash), but its
   * lock file, which names whoever last took the lock (a reader's refused write too) and holds no
   * carrier data.
   */
  public static Map<String, String> fingerprint(TestCarrier carrier) throws IOException {
    Path dir = carrier.folder();
    Map<String, String> all = new HashMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        if (p.equals(dir.resolve(FolderStorage.LOCK_FILE))) {
          continue;
        }
        all.put(dir.relativize(p).toString(), sha256(p));
      }
    }
    return all;
  }

  static String sha256(Path file) throws IOException {
    try (var in = Files.newInputStream(file)) {
      var md = java.security.MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      return java.util.HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Pids of the QEMUs whose command line names a path under {@code root}. */
  public static List<Long> qemusUnder(Path root) throws IOException, InterruptedException {
    return processesUnder("qemu-system", root);
  }

  /** Pids of the session keepers whose command line names a path under {@code root}. */
  public static List<Long> keepersUnder(Path root) throws IOException, InterruptedException {
    return processesUnder("cli.Main keeper ", root);
  }

  private static List<Long> processesUnder(String pattern, Path root)
      throws IOException, InterruptedException {
    Process pgrep = new ProcessBuilder("pgrep", "-af", pattern).start();
    String out = new String(pgrep.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    pgrep.waitFor();
    return out.lines()
        .filter(l -> l.contains(root.toString()))
        .map(l -> Long.parseLong(l.substring(0, l.indexOf(' '))))
        .collect(Collectors.toList());
  }

  /**
   * Kills every QEMU and session keeper left under {@code root} and fails if there was any: a test
   * must end or discard every session it started, and ending a session stops its keeper.
   */
  public static void assertNoQemuLeft(Path root) throws IOException, InterruptedException {
    List<Long> left = qemusUnder(root);
    List<Long> keepers = keepersUnder(root);
    for (long pid : left) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    for (long pid : keepers) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    assertEquals(List.of(), left, "QEMU processes left running under " + root);
    assertEquals(List.of(), keepers, "session keepers left running under " + root);
  }

  /** Inverts the byte at {@code offset} of {@code file}: damage a check must find. */
  public static void flipByte(Path file, long offset) throws IOException {
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(
            file, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
      ch.read(b, offset);
      b.put(0, (byte) ~b.get(0));
      b.rewind();
      ch.write(b, offset);
    }
  }

  /**
   * The folder of the session keeper started ahead ({@code StandbyKeeper}) in {@code host}'s
   * folder, once there is one.
   */
  public static Path awaitKeeperAhead(TestHost host) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    Path sessions = host.home().resolve("sessions");
    while (System.nanoTime() < deadline) {
      if (!Files.isDirectory(sessions)) { // made with the first keeper ahead
        Thread.sleep(50);
        continue;
      }
      try (Stream<Path> s = Files.list(sessions)) {
        List<Path> ahead = s.filter(d -> Files.exists(d.resolve("keeper.log"))).toList();
        if (ahead.size() == 1) {
          return ahead.get(0);
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no keeper was started ahead in " + host.home());
  }

  /** Waits until {@code pid} has exited. */
  public static void awaitExit(long pid, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      if (System.nanoTime() > deadline) {
        fail("process " + pid + " still runs after " + timeout);
      }
      sleep(50);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
