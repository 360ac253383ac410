package dev.carryon.companion;

import dev.carryon.carrier.protocol.Tokens;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A STAND-IN for a phone on USB and for the adb that reaches it, since this machine has no USB and
 * no Android: a script named {@code adb} (put first on {@code PATH}) hands its arguments to this
 * object, which answers as the real adb client, adb server, USB link and phone would for the
 * commands carryon runs: {@code devices} (and {@code devices -l}, the phone on USB port {@link
 * #USB}), {@code -s SERIAL forward tcp:0 tcp:PORT} (a real TCP relay from a free port of
 * 127.0.0.1), {@code forward --remove} and {@code --list}, {@code shell content call} on the
 * pairing provider (its {@code token} and {@code carriers} methods, answered by the same core code
 * as the provider's), and {@code shell am start-foreground-service} of the
 * serving service. Anything else fails loudly.
 *
 * <p>What stays real: the companion's core, the same code as the APK's ({@link CompanionServer},
 * started by {@link DesktopRunner} in a child JVM, so a test can kill it as a phone dies), its
 * storage folder and token file, and the adb command lines and answers carryon sees. What this
 * replaces: adb's server and the phone's adbd, the USB cable, Android (the pairing provider's
 * shell-uid check is tested on Robolectric instead).
 */
final class StandInPhone implements Closeable {
  /** The USB port the phone is plugged into, as {@code adb devices -l} names it after {@code usb:}. */
  static final String USB = "1-4";

  /** The phone's serial, as adb devices lists it. */
  private final String serial;

  /** The companion's storage root: where the phone keeps its carriers. */
  private final Path root;

  /** The companion's token file (its app-private storage). */
  private final Path tokenFile;

  /** Holds the {@code adb} script. */
  private final Path bin;

  /** Where the stand-in adb script hands its arguments. */
  private final ServerSocket control;

  /** Forwards by this PC's port. */
  private final Map<Integer, ServerSocket> forwards = new ConcurrentHashMap<>();

  /** Other phones {@code adb devices} lists (serial, then state): none of them answers more. */
  private final Map<String, String> others = new ConcurrentHashMap<>();

  /** Extra environment of the companion's JVM (write points, for crash tests). */
  private final Map<String, String> companionEnv = new ConcurrentHashMap<>();

  /** The companion's JVM while it serves, else null. */
  private Process companion;

  /** The port the companion serves on while {@link #companion} lives. */
  private int companionPort;

  private StandInPhone(String serial, Path dir, Path root) throws IOException {
    this.serial = serial;
    this.root = root;
    this.tokenFile = dir.resolve("companion-token");
    this.bin = Files.createDirectories(dir.resolve("bin"));
    this.control = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Path adb = bin.resolve("adb");
    Files.writeString(
        adb,
        "#!/bin/bash\n"
            + "# Stand-in adb for tests (StandInPhone): hands its arguments to the stand-in phone\n"
            + "# and prints its answer. No real adb, USB link or phone is involved.\n"
            + "exec 3<>/dev/tcp/127.0.0.1/" + control.getLocalPort()
            + " || { echo 'stand-in adb: the stand-in phone is gone' >&2; exit 1; }\n"
            + "{ printf '%s\\n' \"$#\"; printf '%s\\n' \"$@\"; } >&3\n"
            + "IFS= read -r code <&3\n"
            + "cat <&3\n"
            + "exit \"$code\"\n");
    Files.setPosixFilePermissions(adb, PosixFilePermissions.fromString("rwx------"));
    Thread t = new Thread(this::answer, "stand-in adb " + serial);
    t.setDaemon(true);
    t.start();
  }

  /** A stand-in phone {@code serial} whose companion keeps its carriers in {@code root}. */
  static StandInPhone start(String serial, Path dir, Path root) throws IOException {
    return new StandInPhone(serial, Files.createDirectories(dir), root);
  }

  /** The folder to put first on {@code PATH}: it holds the stand-in {@code adb}. */
  Path bin() {
    return bin;
  }

  /** The environment a carryon command needs to reach this phone: the stand-in adb first. */
  Map<String, String> env() {
    return Map.of("PATH", bin + ":" + System.getenv("PATH"));
  }

  String serial() {
    return serial;
  }

  /**
   * Lists another phone in {@code adb devices}, in {@code state} ({@code device},
   * {@code unauthorized}...); it answers nothing else, as a phone without the companion.
   */
  void alsoListed(String otherSerial, String state) {
    others.put(otherSerial, state);
  }

  /** The companion's storage root. */
  Path root() {
    return root;
  }

  /** Extra environment for the companion's next start (e.g. a write point to halt at). */
  void companionEnv(String name, String value) {
    companionEnv.put(name, value);
  }

  /** No extra environment for the companion's next start. */
  void clearCompanionEnv() {
    companionEnv.clear();
  }

  /** The port the companion serves on, 0 while it does not (never started, stopped or dead). */
  private synchronized int servingPort() {
    return companion != null && companion.isAlive() ? companionPort : 0;
  }

  /** The companion's process while it serves, else null. */
  synchronized Process companion() {
    return companion;
  }

  /** Stops the companion as a phone that died would: killed, no clean stop. */
  synchronized void killCompanion() throws InterruptedException {
    if (companion != null) {
      companion.destroyForcibly().waitFor();
      companion = null;
    }
  }

  /** The forwards open now, this PC's ports. */
  List<Integer> forwards() {
    return new ArrayList<>(forwards.keySet());
  }

  private void answer() {
    while (!control.isClosed()) {
      try (Socket s = control.accept()) {
        BufferedReader in =
            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        int n = Integer.parseInt(in.readLine().trim());
        List<String> args = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          args.add(in.readLine());
        }
        String reply;
        try {
          reply = "0\n" + run(args);
        } catch (Refusal e) {
          reply = "1\n" + e.getMessage() + "\n";
        }
        OutputStream out = s.getOutputStream();
        out.write(reply.getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException | RuntimeException e) {
        // The control socket closed, or one command's script went away: go on or stop.
      }
    }
  }

  /** What real adb prints for {@code args}, or a refusal with its error line. */
  private String run(List<String> args) throws Refusal, IOException {
    String line = String.join(" ", args);
    if (line.equals("devices")) {
      StringBuilder listed = new StringBuilder("List of devices attached\n" + serial + "\tdevice\n");
      others.forEach((other, state) -> listed.append(other).append('\t').append(state).append('\n'));
      return listed.append('\n').toString();
    }
    if (line.equals("devices -l")) {
      // As adb 29 prints it: the serial padded to 22 columns, the state, then the USB port.
      StringBuilder listed = new StringBuilder("List of devices attached\n");
      listed.append(String.format("%-22s device usb:%s product:standin model:Stand_In device:standin transport_id:1%n", serial, USB));
      others.forEach((other, state) -> listed.append(String.format("%-22s %s usb:9-9 transport_id:2%n", other, state)));
      return listed.append('\n').toString();
    }
    if (args.size() < 3 || !args.get(0).equals("-s")) {
      throw new Refusal("stand-in adb: not a command carryon runs: adb " + line);
    }
    if (!args.get(1).equals(serial)) {
      throw new Refusal("adb: device '" + args.get(1) + "' not found");
    }
    String command = String.join(" ", args.subList(2, args.size()));
    Matcher forward = Pattern.compile("forward tcp:0 tcp:(\\d+)").matcher(command);
    Matcher remove = Pattern.compile("forward --remove tcp:(\\d+)").matcher(command);
    if (forward.matches()) {
      return forward(Integer.parseInt(forward.group(1))) + "\n";
    }
    if (remove.matches()) {
      ServerSocket f = forwards.remove(Integer.parseInt(remove.group(1)));
      if (f == null) {
        throw new Refusal("adb: error: listener 'tcp:" + remove.group(1) + "' not found");
      }
      f.close();
      return "";
    }
    if (command.equals("forward --list")) {
      StringBuilder b = new StringBuilder();
      for (int port : forwards.keySet()) {
        b.append(serial).append(" tcp:").append(port).append(" tcp:?\n");
      }
      return b.toString();
    }
    if (command.equals("shell content call --uri content://dev.carryon.companion.pairing --method token")) {
      // The provider answers the shell user, which adb shell is.
      String token = Tokens.readOrCreate(tokenFile);
      return "Result: Bundle[{server=" + CompanionServer.SERVER + ", port=" + servingPort()
          + ", token=" + token + "}]\n";
    }
    if (command.equals("shell content call --uri content://dev.carryon.companion.pairing --method carriers")) {
      return "Result: Bundle[{names=" + PhoneCarriers.names(root) + "}]\n";
    }
    if (command.equals("shell am start-foreground-service -n dev.carryon.companion/.app.ServingService")) {
      startCompanion();
      return "Starting service: Intent { cmp=dev.carryon.companion/.app.ServingService }\n";
    }
    throw new Refusal("stand-in adb: not a command carryon runs: adb " + line);
  }

  /** Starts the companion's core, as the serving service does on a phone. */
  private synchronized void startCompanion() throws IOException {
    if (companion != null && companion.isAlive()) {
      return;
    }
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(DesktopRunner.class.getName());
    command.addAll(List.of("--root", root.toString(), "--listen", "127.0.0.1:0", "--token-file", tokenFile.toString()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("CARRYON_"));
    pb.environment().putAll(companionEnv);
    Process p = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String first = out.readLine();
    Matcher m = first == null ? null : Pattern.compile("serving .* at http://127\\.0\\.0\\.1:(\\d+)/").matcher(first);
    if (m == null || !m.matches()) {
      p.destroyForcibly();
      throw new IOException("the stand-in phone's companion did not start: " + first);
    }
    // Keep reading what it prints, so it never blocks on a full pipe.
    Thread drain = new Thread(() -> drain(out), "stand-in companion output");
    drain.setDaemon(true);
    drain.start();
    companion = p;
    companionPort = Integer.parseInt(m.group(1));
  }

  /** A relay from a free port of 127.0.0.1 to the companion's, as adb forward makes one. */
  private int forward(int phonePort) throws IOException {
    ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    int port = listener.getLocalPort();
    forwards.put(port, listener);
    Thread t =
        new Thread(
            () -> {
              while (!listener.isClosed()) {
                try {
                  Socket client = listener.accept();
                  relay(client, phonePort);
                } catch (IOException e) {
                  // Removed: the listener closed.
                }
              }
            },
            "stand-in forward " + port);
    t.setDaemon(true);
    t.start();
    return port;
  }

  /** Joins {@code client} to the phone's port; a dead companion closes it at once, as adb does. */
  private static void relay(Socket client, int phonePort) {
    Socket phone;
    try {
      phone = new Socket();
      phone.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), phonePort), 5000);
    } catch (IOException e) {
      closeQuietly(client);
      return;
    }
    pump(client, phone);
    pump(phone, client);
  }

  private static void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[64 * 1024];
              try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                  out.write(buffer, 0, n);
                }
                to.shutdownOutput();
              } catch (IOException e) {
                closeQuietly(to);
              }
            },
            "stand-in relay");
    t.setDaemon(true);
    t.start();
  }

  private static void drain(BufferedReader r) {
    try {
      while (r.readLine() != null) {
        // The companion's log lines: not needed.
      }
    } catch (IOException e) {
      // The companion ended.
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Already closed.
    }
  }

  /** Closes the forwards and stops the companion. */
  @Override
  public void close() throws IOException {
    control.close();
    for (ServerSocket f : forwards.values()) {
      f.close();
    }
    forwards.clear();
    synchronized (this) {
      if (companion != null) {
        companion.destroy();
        try {
          companion.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        companion.destroyForcibly();
      }
    }
  }

  /** A command real adb would refuse: its error line. */
  private static final class Refusal extends Exception {
    Refusal(String message) {
      super(message);
    }
  }
}
