package dev.carryon.launcher.cli;

import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.launcher.host.Folders;
import dev.carryon.launcher.host.HostHome;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * A rehearsal of a session by a process that will resume sessions in its own JVM (the host agent
 * before it serves, {@code watch --auto-resume} before it watches): a whole session on a throwaway
 * carrier of an empty disk (init, a cold boot, its end, a resume of the state that end saved, and
 * that one's end), run in that JVM as its real ones will run. A JVM runs a path slowly the first
 * time (its classes initialised, its code interpreted, then compiled); measured on the test guest,
 * an agent's first resume took 0.91 s where the ones after it took 0.55-0.65 s. The rehearsal pays
 * that before the first real resume.
 *
 * <p>It runs under a host folder of its own ({@code carryon.home}), so the host's catalog and
 * sessions never see it; the KVM probe's and QEMU's facts are copied in from the host's folder, as
 * a real resume here finds them, and what it learned of them is copied back. A rehearsal that fails (no QEMU on this host, say)
 * costs only the warmth: the process logs why and goes on.
 */
final class SessionRehearsal {
  /** How long the rehearsal's folder is swept for what it left (see {@link #cleanUp}). */
  private static final Duration CLEAN_UP = Duration.ofSeconds(2);

  /** The system property {@link HostHome#locate} reads before the environment. */
  private static final String HOME_PROPERTY = "carryon.home";

  private SessionRehearsal() {}

  /**
   * Rehearses a session for the host folder {@code home}; says in {@code log} how it went, as
   * {@code who} (the command rehearsing: "carryon agent"). False when it was cut short because
   * this JVM is stopping (SIGTERM, Ctrl-C): the caller must not begin its work then.
   */
  static boolean run(HostHome home, PrintWriter log, String who) {
    long start = System.nanoTime();
    Path scratch;
    try {
      scratch = OwnerOnly.createTempDirectory("carryon-rehearsal-");
    } catch (IOException e) {
      log.println(who + ": no rehearsal of a session (its first resume will be slower): " + e.getMessage());
      log.flush();
      return true;
    }
    // Stopped half-way (Ctrl-C, systemd stopping the watch), the JVM runs no finally block: the
    // rehearsal's QEMU and keeper, detached, would run on.
    Thread cleanUpOnExit = new Thread(() -> cleanUp(scratch, log, who), "carryon-rehearsal-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanUpOnExit);
    String previous = System.getProperty(HOME_PROPERTY);
    boolean cutShort = false;
    try {
      Path rehearsalHome = OwnerOnly.createDirectories(scratch.resolve("home"));
      // The caches a resume reads first: copied, so that the rehearsal probes nothing it knows.
      for (Path cache : caches(home)) {
        if (Files.isRegularFile(cache)) {
          Files.copy(cache, rehearsalHome.resolve(cache.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
      Path disk = OwnerOnly.createFile(scratch.resolve("disk.raw"));
      try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
        f.setLength(1 << 20);
      }
      String carrier = scratch.resolve("carrier").toString();
      System.setProperty(HOME_PROPERTY, rehearsalHome.toString());
      // QEMU's firmware finds nothing to boot on the empty disk and waits: a session all the same.
      step("init", carrier, "--image", disk.toString(), "--memory", "64M");
      step("resume", carrier, "--detach", "--display", "none", "--console", scratch.resolve("c1.log").toString());
      step("end", carrier);
      step("resume", carrier, "--detach", "--display", "none", "--console", scratch.resolve("c2.log").toString());
      step("end", carrier);
      keepWhatItLearned(rehearsalHome, home);
      log.printf("%s: rehearsed a session in %.2f s%n", who, (System.nanoTime() - start) / 1e9);
    } catch (IOException | RuntimeException e) {
      log.println(who + ": the rehearsal of a session failed (its first resume will be slower): "
          + e.getMessage());
    } finally {
      if (previous == null) {
        System.clearProperty(HOME_PROPERTY);
      } else {
        System.setProperty(HOME_PROPERTY, previous);
      }
      try {
        Runtime.getRuntime().removeShutdownHook(cleanUpOnExit);
        cleanUp(scratch, log, who);
      } catch (IllegalStateException exiting) {
        cutShort = true; // the JVM is shutting down: the hook cleans up
      }
      log.flush();
    }
    return !cutShort;
  }

  /** The host's caches of what it learned of QEMU and KVM, which a rehearsal shares. */
  private static List<Path> caches(HostHome home) {
    return List.of(home.accelProbeCache(), home.qemuFactsCache());
  }

  /**
   * Puts what the rehearsal learned of this host (the KVM probe's result, QEMU's facts) into the
   * host's folder where that lacks it or holds something older: on a PC whose first resume is yet
   * to come, that resume then probes nothing (here the probe takes a second). Each file replaced
   * whole; both are keyed caches, which a resume checks against this host before it trusts them.
   */
  private static void keepWhatItLearned(Path rehearsalHome, HostHome home) throws IOException {
    for (Path cache : caches(home)) {
      Path learned = rehearsalHome.resolve(cache.getFileName());
      if (!Files.isRegularFile(learned)
          || (Files.isRegularFile(cache) && Files.mismatch(learned, cache) == -1)) {
        continue;
      }
      OwnerOnly.createDirectories(home.root());
      Path temp = Files.createTempFile(home.root(), cache.getFileName() + ".", ".tmp");
      try {
        Files.write(temp, Files.readAllBytes(learned));
        Files.move(temp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temp);
      }
    }
  }

  /**
   * Stops what the rehearsal in {@code scratch} left running and removes its folder, sweeping again
   * until a sweep finds nothing, for up to {@link #CLEAN_UP}: a rehearsal cut short by the JVM's
   * shutdown runs on meanwhile, and may still start a process or make a file there.
   */
  private static void cleanUp(Path scratch, PrintWriter log, String who) {
    long deadline = System.nanoTime() + CLEAN_UP.toNanos();
    IOException notRemoved = null;
    boolean found;
    do {
      found = stopLeftovers(scratch);
      if (Files.exists(scratch, LinkOption.NOFOLLOW_LINKS)) {
        found = true;
        try {
          Folders.deleteTree(scratch);
          notRemoved = null;
        } catch (IOException e) {
          notRemoved = e; // a file made meanwhile: the next sweep takes it
        }
      }
      if (found) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          break;
        }
      }
    } while (found && System.nanoTime() - deadline < 0);
    if (found) {
      log.println(who + ": the rehearsal may have left " + scratch + " or a process naming it"
          + (notRemoved == null ? "" : ": " + notRemoved.getMessage()));
      log.flush();
    }
  }

  /** Runs one command; a failure is thrown with the command's last words. */
  private static void step(String... args) throws IOException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
      code = Main.execute(o, e, args);
    }
    if (code != ExitCodes.OK) {
      String words = (err + " " + out).strip();
      throw new IOException("carryon " + args[0] + " exited " + code + ": "
          + words.substring(Math.max(0, words.length() - 400)));
    }
  }

  /**
   * Stops what a rehearsal that failed half-way may have left running (a QEMU, a session keeper):
   * every process of this user whose command line names the rehearsal's folder. True when it found
   * one.
   */
  private static boolean stopLeftovers(Path scratch) {
    boolean found = false;
    String mark = scratch.toString();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : procs) {
        String cmdline;
        try {
          cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
        } catch (IOException gone) {
          continue;
        }
        if (cmdline.contains(mark)) {
          found = true;
          ProcessHandle.of(Long.parseLong(p.getFileName().toString())).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
    } catch (IOException e) {
      // No /proc to read: nothing can be found to stop.
    }
    return found;
  }
}
