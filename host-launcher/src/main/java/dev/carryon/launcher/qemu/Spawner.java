package dev.carryon.launcher.qemu;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts QEMU processes so that none outlives carryon by accident, and those meant to outlive it
 * (a detached QEMU, a session keeper) so that it need not wait for them.
 *
 * <p>A child tied to the JVM runs under {@code setpriv --pdeathsig KILL}: the kernel kills it when
 * its parent goes, even when the JVM is killed with SIGKILL and no shutdown hook runs. The kernel
 * takes "parent" to be the thread that forked, so every such child is forked from one thread that
 * lives as long as the JVM. Every process also runs under {@code setsid}, in a session of its own, so
 * a Ctrl-C typed at the terminal reaches carryon (which then stops QEMU cleanly) and not QEMU.
 * And every process starts with umask 077 (set by {@code sh}, as a JVM cannot set its own): what
 * QEMU writes (screen dumps, a console file, its sockets) is its owner's only.
 */
public final class Spawner {
  /** The one long-lived thread that forks children tied to the JVM. */
  private static final ExecutorService FORKER =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "carryon-qemu-forker");
            t.setDaemon(true);
            return t;
          });

  /** How often the exit of a process that is not this JVM's child is checked. */
  private static final Duration NON_CHILD_POLL = Duration.ofMillis(10);

  private Spawner() {}

  /** Starts {@code command} as a child tied to this JVM, prefixed as described above. */
  static Process start(ProcessBuilder builder) throws IOException {
    List<String> command = new ArrayList<>();
    findOnPath("setsid").ifPresent(p -> command.add(p.toString()));
    findOnPath("setpriv")
        .ifPresent(p -> command.addAll(List.of(p.toString(), "--pdeathsig", "KILL", "--")));
    command.addAll(List.of("/bin/sh", "-c", "umask 077 && exec \"$0\" \"$@\""));
    command.addAll(builder.command());
    ProcessBuilder prefixed = builder.command(command);
    Future<Process> started = FORKER.submit(prefixed::start);
    try {
      return started.get();
    } catch (InterruptedException e) {
      // The fork may still happen; it is tied to this JVM and dies with it.
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while starting " + command.get(0));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("cannot start " + command, e.getCause());
    }
  }

  /**
   * Starts {@code builder}'s command detached: in a session of its own, with umask 077, its
   * standard output appended to {@code stdout}, and not this JVM's child. A shell forks it, says
   * its pid and exits, so that no thread of this JVM waits for it: the JDK keeps a thread in {@code
   * waitpid} for each live child, and a JVM's exit waits up to 0.3 s for every thread in native
   * code (every {@code resume --detach} paid it). Its exit code is its new parent's to know, as for
   * a QEMU an earlier run started.
   *
   * @throws IOException when it cannot be started or exits at once
   */
  public static ProcessHandle startDetached(ProcessBuilder builder, Path stdout) throws IOException {
    List<String> program = List.copyOf(builder.command());
    List<String> command = new ArrayList<>();
    findOnPath("setsid").ifPresent(p -> command.add(p.toString()));
    // $0 is the output file; "$@" the program and its arguments, forked as one simple command, so
    // that $! is the program's own pid.
    command.addAll(
        List.of("/bin/sh", "-c", "umask 077; \"$@\" >>\"$0\" & echo $!", stdout.toString()));
    command.addAll(program);
    Process shell = builder.command(command).redirectOutput(ProcessBuilder.Redirect.PIPE).start();
    String said;
    try (InputStream in = shell.getInputStream()) {
      said = new String(in.readNBytes(32), StandardCharsets.US_ASCII).trim();
    }
    waitFor(shell, Duration.ofSeconds(10));
    if (!said.matches("[1-9][0-9]{0,9}")) {
      throw new IOException("could not start " + program.get(0) + " (its shell said \"" + said + "\")");
    }
    return ProcessHandle.of(Long.parseLong(said))
        .orElseThrow(() -> new IOException(program.get(0) + " exited as soon as it started"));
  }

  private static Optional<Path> findOnPath(String name) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
        return Optional.of(Path.of(dir, name));
      }
    }
    return Optional.empty();
  }

  /**
   * Waits up to {@code timeout} for {@code process} to exit; true when it has. An interrupt does
   * not cut the wait short (a QEMU must always be reaped); it is passed on to the caller after.
   */
  static boolean waitFor(Process process, Duration timeout) {
    // The Process's own wait, not its handle's: the handle may learn of the exit a moment before
    // the Process records the exit code that callers read next.
    return uninterruptibly(timeout, left -> process.waitFor(left, TimeUnit.NANOSECONDS));
  }

  /**
   * Like {@link #waitFor(Process, Duration)}, for any process, child of this JVM or not (a detached
   * QEMU, a session keeper): one that has exited but is not yet reaped counts as gone.
   */
  public static boolean waitFor(ProcessHandle process, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    // Not ProcessHandle.parent(): it is empty for a zombie, and a child that is a zombie must be
    // left to the JDK, which reaps it and only then knows its exit code.
    String[] stat = stat(process.pid());
    boolean child = stat == null || Long.parseLong(stat[1]) == ProcessHandle.current().pid();
    return uninterruptibly(
        timeout,
        left -> {
          if (!child) {
            return pollExit(process, deadline);
          }
          try {
            process.onExit().get(left, TimeUnit.NANOSECONDS);
            return true;
          } catch (TimeoutException e) {
            return false;
          } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for process " + process.pid(), e);
          }
        });
  }

  /** A wait for at most the nanoseconds it is given; true when what it waits for happened. */
  private interface Wait {
    boolean await(long nanosLeft) throws InterruptedException;
  }

  /** Runs {@code wait} until it ends or {@code timeout} passes; an interrupt is passed on after. */
  private static boolean uninterruptibly(Duration timeout, Wait wait) {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return wait.await(Math.max(0, deadline - System.nanoTime()));
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Waits for a process that is not this JVM's child (a detached QEMU of an earlier run). The JDK
   * polls those only every 0.3 s and more, and takes an exited one that its new parent has not
   * reaped yet (a zombie) for alive: init in a container was seen to take ~1.7 s to reap.
   */
  private static boolean pollExit(ProcessHandle process, long deadline)
      throws InterruptedException {
    while (process.isAlive() && !isZombie(process.pid())) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      // Never past the deadline: a caller waiting briefly between looks at something else.
      Thread.sleep(Math.max(1, Math.min(NON_CHILD_POLL.toMillis(), TimeUnit.NANOSECONDS.toMillis(left))));
    }
    return true;
  }

  /** Whether Linux lists {@code pid} as a zombie: exited, its files closed, not yet reaped. */
  static boolean isZombie(long pid) {
    String[] stat = stat(pid);
    return stat != null && stat[0].equals("Z"); // null: gone, or no /proc: isAlive decides
  }

  /**
   * The fields of {@code /proc/PID/stat} after the command name (state, parent pid, ...), or null
   * when there is no such process or no /proc.
   */
  private static String[] stat(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // "pid (comm) S ppid ...": comm may hold anything, so the fields start after the last ')'.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 1).trim().split(" ");
      return fields.length >= 2 ? fields : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
