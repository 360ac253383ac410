package dev.carryon.launcher.qemu;

import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.launcher.host.Folders;
import dev.carryon.launcher.qmp.QmpClient;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One running {@code qemu-system-x86_64}, with its QMP connection and a private work folder (QMP
 * and migration sockets, QEMU's stderr log).
 *
 * <p>A process started with {@link #start} never outlives the JVM: {@link #close} stops it, a
 * shutdown hook closes it on exit or Ctrl-C, and the kernel kills it if the JVM dies without
 * running hooks (see {@link Spawner}). One started with {@link #startDetached} is left running when
 * the JVM exits.
 */
public final class QemuProcess implements AutoCloseable {
  /** How long each step of {@link #close} waits: quit, then SIGTERM, then SIGKILL. */
  public static final Duration STOP_STEP = Duration.ofSeconds(5);
  private static final Duration EXIT_CODE_WAIT = Duration.ofSeconds(1);
  /** Every work folder of this JVM starts with this, so tests can find leftover QEMUs by it. */
  public static final String WORK_DIR_PREFIX =
      "carryon-qemu-" + ProcessHandle.current().pid() + "-";
  /** From exec to a working QMP connection; QEMU is usually ready in well under a second. */
  static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
  /** Longest path a UNIX socket address can hold on Linux (sun_path less its NUL). */
  private static final int MAX_SOCKET_PATH = 107;
  /** Lines of QEMU's stderr quoted in an error. */
  private static final int STDERR_LINES = 5;

  private final QemuLaunch launch;
  /** The child process, or null for a QEMU {@link #attach attached} from another carryon run. */
  private final Process process;
  /** The QEMU process, child or not. */
  private final ProcessHandle handle;
  private final Path workDir;
  private final List<String> commandLine;
  private final boolean detached;
  /** Set once started; null only during start. */
  private QmpClient qmp;
  /** Set by the first {@link #close}. */
  private boolean closed;

  /** A QEMU tied to this JVM, its child. */
  private QemuProcess(QemuLaunch launch, Process process, Path workDir, List<String> commandLine) {
    this.launch = launch;
    this.process = process;
    this.handle = process.toHandle();
    this.workDir = workDir;
    this.commandLine = commandLine;
    this.detached = false;
  }

  /** A detached QEMU, not this JVM's child: started detached, or attached from another run. */
  private QemuProcess(
      QemuLaunch launch, ProcessHandle handle, Path workDir, List<String> commandLine) {
    this.launch = launch;
    this.process = null;
    this.handle = handle;
    this.workDir = workDir;
    this.commandLine = commandLine;
    this.detached = true;
  }

  /**
   * Connects to a detached QEMU that an earlier carryon run started (a {@code resume --detach}),
   * so that this run can save and stop it.
   *
   * @param pid QEMU's process id, as recorded when it was started
   * @param workDir its work folder ({@link #workDir()} of the run that started it)
   * @throws IOException when that process is gone, is not QEMU, or does not answer QMP
   */
  public static QemuProcess attach(QemuLaunch launch, long pid, Path workDir) throws IOException {
    ProcessHandle handle =
        ProcessHandle.of(pid)
            .filter(ProcessHandle::isAlive)
            .orElseThrow(() -> new IOException("QEMU (pid " + pid + ") is no longer running"));
    String command = handle.info().command().orElse("");
    if (!command.contains("qemu-system")) {
      throw new IOException(
          "process " + pid + " is " + (command.isEmpty() ? "not visible" : command)
              + ", not the session's QEMU");
    }
    QemuProcess qemu =
        new QemuProcess(
            launch, handle, workDir, handle.info().arguments().map(List::of).orElse(List.of()));
    qemu.qmp = QmpClient.connect(workDir.resolve("qmp.sock"), STARTUP_TIMEOUT);
    return qemu;
  }

  /**
   * Starts QEMU tied to this JVM and connects to its QMP monitor.
   *
   * @throws dev.carryon.launcher.cli.CarryonException when QEMU is not installed
   * @throws IOException when QEMU exits or does not answer QMP at start; the message quotes QEMU's
   *     own error
   */
  public static QemuProcess start(QemuLaunch launch) throws IOException {
    return start(launch, false);
  }

  /**
   * Starts QEMU so that it keeps running after this JVM exits (for {@code resume --detach}). Its
   * work folder is left in place then; {@link #close} still stops it.
   */
  public static QemuProcess startDetached(QemuLaunch launch) throws IOException {
    return start(launch, true);
  }

  private static QemuProcess start(QemuLaunch launch, boolean detached) throws IOException {
    Path qemu = QemuTool.SYSTEM.locate();
    Path workDir = createWorkDir();
    Path qmpSocket = workDir.resolve("qmp.sock");
    return spawn(launch, QemuCommandLine.build(qemu, launch, qmpSocket), workDir, detached);
  }

  /**
   * Starts {@code qemu} with no machine at all, only to answer QMP questions about itself (see
   * {@link QemuCommandLine#bare}); tied to this JVM. Close it when done.
   */
  static QemuProcess startBare(Path qemu) throws IOException {
    Path workDir = createWorkDir();
    return spawn(null, QemuCommandLine.bare(qemu, workDir.resolve("qmp.sock")), workDir, false);
  }

  /** Starts {@code commandLine}, whose QMP socket is {@code workDir/qmp.sock}, and connects. */
  private static QemuProcess spawn(
      QemuLaunch launch, List<String> commandLine, Path workDir, boolean detached)
      throws IOException {
    Path qmpSocket = workDir.resolve("qmp.sock");
    ProcessBuilder builder = new ProcessBuilder(commandLine);
    builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    // The JVM opens redirect files with the umask's mode: made first, they stay the owner's only.
    builder.redirectError(ownerOnly(workDir.resolve("qemu.log")).toFile());
    // GTK starts the accessibility bus's launcher, a program the sandbox (spawn=deny) kills QEMU for.
    builder.environment().put("NO_AT_BRIDGE", "1");
    builder.environment().put("GTK_A11Y", "none");
    boolean console = launch != null && launch.consoleFile() == null;
    if (!console) {
      builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    } else if (!detached) {
      builder.redirectOutput(ProcessBuilder.Redirect.INHERIT);
    }
    QemuProcess qemuProcess;
    try {
      if (detached) {
        Path stdout = console ? ownerOnly(workDir.resolve("console.log")) : Path.of("/dev/null");
        qemuProcess =
            new QemuProcess(launch, Spawner.startDetached(builder, stdout), workDir, commandLine);
      } else {
        qemuProcess = new QemuProcess(launch, Spawner.start(builder), workDir, commandLine);
        LiveQemus.add(qemuProcess);
      }
    } catch (IOException e) {
      String tail = stderrTail(workDir);
      deleteTree(workDir);
      throw tail.isEmpty() ? e : new IOException(e.getMessage() + ": " + tail, e);
    }
    try {
      qemuProcess.qmp = qemuProcess.connectQmp(qmpSocket);
      return qemuProcess;
    } catch (IOException | RuntimeException e) {
      qemuProcess.close();
      throw e;
    }
  }

  /** What this QEMU was started from; null for a {@link #startBare bare} one. */
  public QemuLaunch launch() {
    return launch;
  }

  /** The QMP connection; closed once QEMU has stopped. */
  public QmpClient qmp() {
    return qmp;
  }

  public long pid() {
    return handle.pid();
  }

  /** The private folder for this QEMU's sockets and logs; deleted by {@link #close}. */
  public Path workDir() {
    return workDir;
  }

  /** The command line QEMU was started with (after the setsid/setpriv prefix). */
  public List<String> commandLine() {
    return commandLine;
  }

  public boolean isAlive() {
    return handle.isAlive();
  }

  /** Waits for QEMU to exit by itself (guest power-off, {@code quit}); true when it has. */
  public boolean waitForExit(Duration timeout) throws InterruptedException {
    if (process != null) {
      return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    return Spawner.waitFor(handle, timeout);
  }

  /** QEMU's exit code, when it has exited and was started by this run (else unknown: empty). */
  public OptionalInt exitCode() {
    if (process == null || (process.isAlive() && !handle.onExit().isDone())) {
      return OptionalInt.empty();
    }
    // The handle may learn of the exit a moment before the Process records its code (the JDK's
    // reaper tells both, in no set order): wait for the Process, which is then a matter of moments.
    return Spawner.waitFor(process, EXIT_CODE_WAIT)
        ? OptionalInt.of(process.exitValue())
        : OptionalInt.empty();
  }

  /**
   * "QEMU exited", with its exit code when this run knows it (not for a detached QEMU, which is
   * not this JVM's child): for messages about a QEMU that has exited.
   */
  public String exited() {
    OptionalInt code = exitCode();
    return "QEMU exited" + (code.isPresent() ? " with code " + code.getAsInt() : "");
  }

  /** The last lines QEMU wrote to stderr, joined by "; " (empty when it wrote nothing). */
  public String stderrTail() {
    return stderrTail(workDir);
  }

  private static String stderrTail(Path workDir) {
    try {
      List<String> lines =
          Files.readAllLines(workDir.resolve("qemu.log"), StandardCharsets.UTF_8).stream()
              .filter(l -> !l.isBlank())
              .collect(Collectors.toList());
      return String.join("; ", lines.subList(Math.max(0, lines.size() - STDERR_LINES), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * Stops QEMU: QMP {@code quit}, then SIGTERM, then SIGKILL, each given {@code step} to work, and
   * waits until the process is gone. Safe to call more than once and from several threads.
   *
   * @return QEMU's exit code, or -1 for an attached QEMU (whose exit code only its parent sees)
   */
  public synchronized int stop(Duration step) {
    if (handle.isAlive() && qmp != null && qmp.isOpen()) {
      try {
        qmp.execute("quit", step);
      } catch (IOException e) {
        // QEMU may close the connection before its reply; waiting for the exit tells.
      }
    }
    if (!Spawner.waitFor(handle, step)) {
      handle.destroy();
      if (!Spawner.waitFor(handle, step)) {
        handle.destroyForcibly();
        while (!Spawner.waitFor(handle, step)) {
          // SIGKILL cannot be ignored; only an uninterruptible kernel wait delays the exit.
        }
      }
    }
    if (qmp != null) {
      try {
        qmp.close();
      } catch (IOException e) {
        // The process is gone; its socket with it.
      }
    }
    LiveQemus.remove(this);
    return exitCode().orElse(-1);
  }

  /** Stops QEMU (see {@link #stop}) and deletes its work folder. Never throws. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stop(STOP_STEP);
    deleteTree(workDir);
  }

  @Override
  public String toString() {
    return "QEMU pid " + handle.pid() + (detached ? " (detached)" : "");
  }

  private QmpClient connectQmp(Path socket) throws IOException {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      if (Spawner.waitFor(handle, Duration.ZERO)) {
        throw exitedAtStart();
      }
      if (Files.exists(socket)) {
        try {
          return QmpClient.connect(socket, Duration.ofNanos(deadline - System.nanoTime()));
        } catch (IOException e) {
          last = e; // the socket is bound but QEMU does not listen yet: try again shortly
        }
      }
      // Looked for often: QEMU binds it within ~0.1 s, and every command after waits on it.
      Spawner.waitFor(handle, Duration.ofMillis(2));
    }
    throw new IOException(
        "QEMU did not answer on its QMP socket within " + STARTUP_TIMEOUT.toSeconds() + " s"
            + (last == null ? "" : ": " + last.getMessage()),
        last);
  }

  private IOException exitedAtStart() {
    if (process != null) {
      // Seen gone by its handle, whose onExit() is a new asynchronous stage on every call: the
      // Process may record the code a moment later, and exitCode() would not wait for a Process
      // still "alive".
      Spawner.waitFor(process, EXIT_CODE_WAIT);
    }
    String tail = stderrTail();
    return new IOException(exited() + " at start" + (tail.isEmpty() ? "" : ": " + tail));
  }

  /** {@code file}, created empty and its owner's only when missing. */
  private static Path ownerOnly(Path file) throws IOException {
    if (!Files.exists(file)) {
      OwnerOnly.createFile(file);
    }
    return file;
  }

  private static Path createWorkDir() throws IOException {
    Path dir =
        OwnerOnly.createTempDirectory(WORK_DIR_PREFIX);
    int longest = dir.resolve("restore.sock").toString().getBytes(StandardCharsets.UTF_8).length;
    if (longest > MAX_SOCKET_PATH) {
      deleteTree(dir);
      throw new IOException(
          "temporary folder path " + dir + " is too long for a UNIX socket; point java.io.tmpdir"
              + " at a shorter one");
    }
    return dir;
  }

  /** Deletes a work folder; a failure is reported, never thrown (this runs on cleanup paths). */
  static void deleteTree(Path root) {
    try {
      Folders.deleteTree(root);
    } catch (IOException e) {
      System.err.println("carryon: could not delete " + root + ": " + e.getMessage());
    }
  }
}
