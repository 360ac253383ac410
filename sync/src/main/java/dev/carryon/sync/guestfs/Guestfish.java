package dev.carryon.sync.guestfs;

import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.sync.ext4.BlockDevice;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One guestfish session (libguestfs' shell, Debian's {@code libguestfs-tools}) over one volume:
 * the volume's bytes are served read-only by an {@link NbdServer} in this process, added as the
 * appliance's only drive with {@code readonly:true}, and its file system mounted read-only at
 * {@code /}. The carrier is never opened by libguestfs, so nothing it does can write to it.
 *
 * <p>Commands go to guestfish's standard input one at a time, each followed by an {@code echo}
 * of a marker that ends its output; guestfish run from a script exits at the first error, which
 * is reported with what it printed. File contents come through a FIFO in a private folder.
 *
 * <p>libguestfs runs its appliance under QEMU; {@code LIBGUESTFS_BACKEND=direct} and {@code
 * LIBGUESTFS_BACKEND_SETTINGS=force_tcg} are set unless the caller's environment sets them
 * (a host's {@code /dev/kvm} can exist and still hang guests).
 */
public final class Guestfish implements Closeable {
  /** Longest wait for the appliance to start and mount (it takes ~10 s here, 60 s under load). */
  private static final long START_SECONDS = 300;

  /** Private folder: NBD socket, FIFOs, guestfish's stderr. */
  private final Path work;
  /** Serves the volume. */
  private final NbdServer nbd;
  /** guestfish. */
  private final Process process;
  /** Its standard input, for commands. */
  private final BufferedWriter commands;
  /** Its standard output, for replies. */
  private final BufferedReader replies;
  /** How messages name the volume. */
  private final String name;
  /** Numbers markers and FIFOs. */
  private int sequence;
  /** Set once the session is closing: no FIFO needs unblocking any more. */
  private volatile boolean closing;

  private Guestfish(Path work, NbdServer nbd, Process process, String name) {
    this.work = work;
    this.nbd = nbd;
    this.process = process;
    this.name = name;
    this.commands = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(),
        StandardCharsets.UTF_8));
    this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8));
  }

  /** The guestfish program on this host's PATH, or null. */
  public static Path find() {
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, "guestfish");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /**
   * Starts guestfish over {@code volume} and mounts its file system read-only.
   *
   * @param name how messages name the volume
   * @param fsType what the volume holds, for the message when libguestfs is missing ("XFS")
   * @throws GuestfsException when guestfish is missing, or its appliance or the mount fails
   */
  public static Guestfish start(BlockDevice volume, String name, String fsType)
      throws IOException {
    Path program = find();
    if (program == null) {
      throw new GuestfsException(name + " holds " + fsType + ", which carryon reads through"
          + " libguestfs, and guestfish is not installed on this host: install libguestfs-tools"
          + " (apt-get install libguestfs-tools)", true);
    }
    Path work = OwnerOnly.createTempDirectory("carryon-guestfs");
    NbdServer nbd = null;
    Process process = null;
    try {
      nbd = NbdServer.start(volume, work.resolve("nbd.sock"));
      ProcessBuilder pb = new ProcessBuilder(program.toString(), "--no-progress-bars")
          .redirectError(work.resolve("stderr").toFile());
      Map<String, String> env = pb.environment();
      env.putIfAbsent("LIBGUESTFS_BACKEND", "direct");
      env.putIfAbsent("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg");
      process = pb.start();
      Guestfish g = new Guestfish(work, nbd, process, name);
      // The socket's path is our own temporary folder's: no space or quote to escape.
      g.command("add-drive \"\" protocol:nbd server:unix:" + nbd.socket()
          + " format:raw readonly:true", START_SECONDS);
      g.command("run", START_SECONDS);
      g.command("mount-ro /dev/sda /", START_SECONDS);
      return g;
    } catch (IOException | RuntimeException e) {
      if (process != null) {
        process.destroyForcibly();
      }
      if (nbd != null) {
        nbd.close();
      }
      deleteWork(work);
      throw e;
    }
  }

  /** The kind of {@code path}, not following a final symlink; null when nothing is there. */
  public String kind(String path) throws IOException {
    if (bool("is-symlink " + quote(path))) {
      return "symlink";
    }
    if (!bool("exists " + quote(path))) {
      return null;
    }
    if (bool("is-dir " + quote(path))) {
      return "directory";
    }
    return bool("is-file " + quote(path)) ? "file" : "other";
  }

  /** What lstat says of {@code path}. */
  public Stat lstat(String path) throws IOException {
    Map<String, Long> f = new HashMap<>();
    for (String line : command("lstatns " + quote(path), 60).split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        f.put(line.substring(0, colon).strip(), Long.parseLong(line.substring(colon + 1).strip()));
      }
    }
    for (String key : List.of("st_mode", "st_uid", "st_gid", "st_size", "st_mtime_sec",
        "st_mtime_nsec")) {
      if (!f.containsKey(key)) {
        throw new GuestfsException(name + ": guestfish lstatns " + path + " gave no " + key,
            false);
      }
    }
    return new Stat(f.get("st_mode").intValue(), f.get("st_uid"), f.get("st_gid"),
        f.get("st_size"), Instant.ofEpochSecond(f.get("st_mtime_sec"), f.get("st_mtime_nsec")));
  }

  /**
   * What lstat says of a guest file.
   *
   * @param mode st_mode, type bits included
   * @param uid numeric owner
   * @param gid numeric group
   * @param size bytes
   * @param modified modification time
   */
  public record Stat(int mode, long uid, long gid, long size, Instant modified) {}

  /** The target of the symlink {@code path}. */
  public String readlink(String path) throws IOException {
    String out = command("readlink " + quote(path), 60);
    return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
  }

  /** The contents of the regular file {@code path}; close the stream before the next command. */
  public InputStream download(String path) throws IOException {
    return stream("download " + quote(path) + " %s");
  }

  /**
   * The directory {@code path} as a GNU tar stream (entries "./", "./name" ..., numeric owners);
   * close the stream before the next command.
   */
  public InputStream tarOut(String path) throws IOException {
    return stream("tar-out " + quote(path) + " %s numericowner:true");
  }

  /** Sends {@code command} with its output going to a new FIFO, which is returned open. */
  private InputStream stream(String command) throws IOException {
    Path fifo = work.resolve("fifo-" + (++sequence));
    run(List.of("mkfifo", "-m", "600", fifo.toString()));
    String marker = "@@carryon-" + sequence + "@@";
    commands.write(String.format(command, quote(fifo.toString())) + "\necho " + marker + "\n");
    commands.flush();
    // Opening a FIFO blocks until guestfish opens it; if guestfish dies first, unblock it.
    process.onExit().thenRun(() -> {
      if (closing || !Files.exists(fifo)) {
        return; // read and deleted long ago, or the session ended it
      }
      try (FileOutputStream unblock = new FileOutputStream(fifo.toFile())) {
        unblock.flush();
      } catch (IOException e) {
        // The reader is gone too.
      }
    });
    FileInputStream in = new FileInputStream(fifo.toFile());
    return new FilterInputStream(in) {
      private boolean closed;

      @Override
      public void close() throws IOException {
        if (closed) {
          return;
        }
        closed = true;
        super.close();
        Files.deleteIfExists(fifo);
        until(marker, 60 * 60); // the rest was written; guestfish reports any error here
      }
    };
  }

  /** Runs a guestfish command that prints "true" or "false". */
  private boolean bool(String command) throws IOException {
    String out = command(command, 60).strip();
    if (!out.equals("true") && !out.equals("false")) {
      throw new GuestfsException(name + ": guestfish " + command + " printed '" + out + "'",
          false);
    }
    return out.equals("true");
  }

  /** Runs one command and returns what it printed. */
  private String command(String command, long timeoutSeconds) throws IOException {
    String marker = "@@carryon-" + (++sequence) + "@@";
    try {
      commands.write(command + "\necho " + marker + "\n");
      commands.flush();
    } catch (IOException e) {
      throw failure(command);
    }
    return until(marker, timeoutSeconds);
  }

  /** Reads output lines up to {@code marker}; a guestfish that exits first is an error. */
  private String until(String marker, long timeoutSeconds) throws IOException {
    StringBuilder out = new StringBuilder();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    Thread watchdog = new Thread(() -> {
      try {
        if (!process.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          process.destroyForcibly(); // hung: ends the read below
        }
      } catch (InterruptedException e) {
        // The command finished.
      }
    }, "guestfish-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      String line;
      while ((line = replies.readLine()) != null) {
        if (line.equals(marker)) {
          return out.toString();
        }
        out.append(line).append('\n');
      }
    } finally {
      watchdog.interrupt();
    }
    throw failure(marker);
  }

  private GuestfsException failure(String during) throws IOException {
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String err = Files.exists(work.resolve("stderr")) ? Files.readString(work.resolve("stderr"))
        .strip() : "";
    String last = err.isEmpty() ? "(it printed nothing)" : err.lines().reduce((a, b) -> b)
        .orElse(err);
    return new GuestfsException(name + ": libguestfs failed" + (process.isAlive() ? "" : " (exit "
        + process.exitValue() + ")") + ": " + last.replaceFirst("^\\*stdin\\*:\\d+: ", "").strip()
        + (during.startsWith("@@") ? "" : " [" + during + "]"), false);
  }

  /** guestfish's double-quoted string: backslash escapes for quotes, backslashes, controls. */
  static String quote(String s) {
    StringBuilder q = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        q.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7F) {
        q.append(String.format("\\x%02x", (int) c));
      } else {
        q.append(c);
      }
    }
    return q.append('"').toString();
  }

  private static void run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
  }

  @Override
  public void close() throws IOException {
    closing = true;
    try {
      commands.write("exit\n");
      commands.flush();
      commands.close();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException e) {
      process.destroyForcibly(); // it had already gone
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      nbd.close();
      deleteWork(work);
    }
  }

  /** Deletes the private folder: sockets, FIFOs and the stderr log, nothing nested. */
  private static void deleteWork(Path work) throws IOException {
    try (var files = Files.list(work)) {
      for (Path p : files.toList()) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(work);
  }
}
