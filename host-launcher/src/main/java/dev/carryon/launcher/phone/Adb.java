package dev.carryon.launcher.phone;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Android's {@code adb} (Debian's package {@code adb}), the one way carryon reaches a phone: it
 * lists the phones, asks the companion app for its token and port (the pairing provider answers
 * the shell user only), starts the app's serving service, and forwards a port of this PC to the
 * phone's 127.0.0.1. Each step runs the {@code adb} found on {@code PATH} and reads what it prints;
 * nothing a phone prints reaches a command line, a path or an allocation unchecked.
 */
public final class Adb {
  /** The companion's pairing provider. */
  static final String PAIRING_URI = "content://dev.carryon.companion.pairing";

  /** The companion's serving service. */
  static final String SERVICE = "dev.carryon.companion/.app.ServingService";

  /** What a serial may look like (USB serials; {@code HOST:PORT} for a phone on the network). */
  private static final Pattern SERIAL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

  /** A token as the companion makes them (64 hex digits), or any other printable one. */
  private static final Pattern TOKEN = Pattern.compile("[!-~&&[^,{}\\]\\[]]{16,512}");

  /** Longest any one adb step may take (a phone being authorised can stall adb). */
  private static final long TIMEOUT_SECONDS = 60;

  /** The program run: {@code adb} on {@code PATH} (tests give a stand-in's path). */
  private final String program;

  private Adb(String program) {
    this.program = program;
  }

  /** The {@code adb} on {@code PATH}. */
  public static Adb onPath() {
    return new Adb("adb");
  }

  /** The adb at {@code program} (a stand-in's, in tests). */
  public static Adb at(Path program) {
    return new Adb(program.toString());
  }

  /**
   * A phone adb sees, and in what state: {@code device} (ready), {@code unauthorized} (this PC's
   * key not yet accepted on the phone), {@code offline}...
   */
  public record Device(String serial, String state) {
    /** True when adb can talk to it. */
    public boolean ready() {
      return state.equals("device");
    }
  }

  /**
   * The companion's answer to pairing.
   *
   * @param token the token its server wants
   * @param port the port it serves on the phone's 127.0.0.1, or 0 while it does not serve
   * @param server its name and version
   */
  public record Companion(String token, int port, String server) {
    public boolean serving() {
      return port > 0;
    }
  }

  /** Refuses a serial that is not one (it goes onto adb's command line). */
  public static String checkSerial(String serial) {
    if (serial == null || !SERIAL.matcher(serial).matches()) {
      throw new CarryonException(
          ExitCodes.USAGE,
          "'" + serial + "' is not a phone's serial (letters, digits, '.', '_', ':' and '-', as"
              + " 'adb devices' lists them)");
    }
    return serial;
  }

  /** The phones adb sees ({@code adb devices}). */
  public List<Device> devices() {
    List<Device> found = new ArrayList<>();
    for (String line : run("devices").lines().toList()) {
      if (line.isBlank() || line.startsWith("List of devices") || line.startsWith("*")) {
        continue;
      }
      String[] parts = line.trim().split("\\s+");
      if (parts.length >= 2 && SERIAL.matcher(parts[0]).matches()) {
        found.add(new Device(parts[0], parts[1]));
      }
    }
    return Collections.unmodifiableList(found);
  }

  /**
   * The serial of the phone adb sees on USB port {@code usb} ({@code 1-4.2}: bus, then the port
   * path, as libusb's hotplug names it), from {@code adb devices -l}; empty when adb lists none
   * there (not yet, or USB debugging is off).
   */
  public Optional<Device> onUsb(String usb) {
    for (String line : run("devices", "-l").lines().toList()) {
      String[] parts = line.trim().split("\\s+");
      if (parts.length >= 3 && SERIAL.matcher(parts[0]).matches()
          && List.of(parts).subList(2, parts.length).contains("usb:" + usb)) {
        return Optional.of(new Device(parts[0], parts[1]));
      }
    }
    return Optional.empty();
  }

  /**
   * The names of the carriers on phone {@code serial}, from its companion's pairing provider
   * ({@code --method carriers}); each is a name the protocol allows, or the answer is refused.
   */
  public List<String> carriers(String serial) {
    String out =
        exec("-s", checkSerial(serial), "shell", "content", "call", "--uri", PAIRING_URI,
                "--method", "carriers")
            .text();
    Matcher names = Pattern.compile("^Result: Bundle\\[\\{names=([^}]*)\\}\\]\\s*$").matcher(out);
    if (!names.matches()) {
      companion(serial); // says why: not connected, no app, refused
      throw new CarryonException(
          ExitCodes.BAD_INPUT,
          "phone " + serial + ": the companion's list of carriers is not one carryon reads: "
              + firstLine(out));
    }
    List<String> found = new ArrayList<>();
    if (names.group(1).isEmpty()) {
      return found;
    }
    for (String name : names.group(1).split(",", -1)) {
      if (!PhoneName.isCarrierName(name)) {
        throw new CarryonException(
            ExitCodes.BAD_INPUT,
            "phone " + serial + ": the companion lists '" + name + "', which is not a carrier name");
      }
      found.add(name);
    }
    return Collections.unmodifiableList(found);
  }

  /**
   * Asks the companion on phone {@code serial} for its token and port, through its pairing
   * provider ({@code adb shell content call}).
   */
  public Companion companion(String serial) {
    // Read whatever adb printed, failed or not: the content tool's errors say what went wrong.
    String out =
        exec("-s", checkSerial(serial), "shell", "content", "call", "--uri", PAIRING_URI,
                "--method", "token")
            .text();
    if (out.contains("device '" + serial + "' not found")) {
      throw notConnected(serial);
    }
    if (out.contains("Unknown authority") || out.contains("Could not find provider")
        || out.contains("Unknown URI")) {
      throw new CarryonException(
          ExitCodes.ENVIRONMENT,
          "phone " + serial + ": the carryon companion app is not installed (adb -s " + serial
              + " install carryon-companion.apk)");
    }
    if (!out.startsWith("Result: Bundle[")) {
      throw new CarryonException(
          ExitCodes.REFUSED,
          "phone " + serial + ": the companion did not pair: " + firstLine(out));
    }
    Matcher token = Pattern.compile("[{ ,]token=([^,}\\s]*)").matcher(out);
    Matcher port = Pattern.compile("[{ ,]port=(\\d{1,5})[,}]").matcher(out);
    Matcher server = Pattern.compile("[{ ,]server=([^,}\\s]*)").matcher(out);
    if (!token.find() || !TOKEN.matcher(token.group(1)).matches() || !port.find()) {
      throw new CarryonException(
          ExitCodes.BAD_INPUT,
          "phone " + serial + ": the companion's pairing answer is not one carryon reads: "
              + firstLine(out));
    }
    int p = Integer.parseInt(port.group(1));
    if (p > 65535) {
      throw new CarryonException(
          ExitCodes.BAD_INPUT, "phone " + serial + ": the companion names port " + p);
    }
    return new Companion(token.group(1), p, server.find() ? server.group(1) : "?");
  }

  /** Starts the companion's serving service on phone {@code serial}. */
  public void startServing(String serial) {
    String out =
        run("-s", checkSerial(serial), "shell", "am", "start-foreground-service", "-n", SERVICE);
    if (out.contains("Error") || out.contains("Exception")) {
      throw new CarryonException(
          ExitCodes.REFUSED,
          "phone " + serial + ": the companion's service did not start: " + firstLine(out));
    }
  }

  /**
   * Forwards a free port of this PC's 127.0.0.1 to {@code phonePort} on the phone's; returns the
   * PC's port. Remove it with {@link #removeForward} when done.
   */
  public int forward(String serial, int phonePort) {
    String out = run("-s", checkSerial(serial), "forward", "tcp:0", "tcp:" + phonePort).trim();
    if (!out.matches("\\d{1,5}") || Integer.parseInt(out) > 65535 || Integer.parseInt(out) == 0) {
      throw new CarryonException(
          ExitCodes.FAILURE,
          "phone " + serial + ": adb forward answered '" + firstLine(out) + "', not a port");
    }
    return Integer.parseInt(out);
  }

  /** Removes the forward of this PC's {@code hostPort}. */
  public void removeForward(String serial, int hostPort) {
    run("-s", checkSerial(serial), "forward", "--remove", "tcp:" + hostPort);
  }

  /** What one run of adb printed (stdout and stderr together) and returned. */
  private record Output(int exit, String text) {}

  /** Runs {@code adb args...}; its output, or a failure naming what adb said. */
  private String run(String... args) {
    Output o = exec(args);
    if (o.exit() != 0) {
      if (args.length > 1 && args[0].equals("-s") && o.text().contains("not found")) {
        throw notConnected(args[1]);
      }
      throw new CarryonException(
          ExitCodes.FAILURE, "adb " + String.join(" ", args) + ": " + firstLine(o.text()));
    }
    return o.text();
  }

  private static CarryonException notConnected(String serial) {
    return new CarryonException(
        ExitCodes.ENVIRONMENT,
        "phone " + serial + " is not connected ('adb devices' does not list it)");
  }

  /** Runs {@code adb args...} and waits for it. */
  private Output exec(String... args) {
    List<String> command = new ArrayList<>();
    command.add(program);
    Collections.addAll(command, args);
    Path out = null;
    try {
      out = Files.createTempFile("carryon-adb", ".out");
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new CarryonException(
            ExitCodes.FAILURE,
            String.join(" ", command) + " did not answer within " + TIMEOUT_SECONDS + " s");
      }
      return new Output(
          p.exitValue(), new String(Files.readAllBytes(out), StandardCharsets.UTF_8));
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("Cannot run program")) {
        throw new CarryonException(
            ExitCodes.ENVIRONMENT,
            "adb is not installed (Debian's package adb), so no phone can be reached", e);
      }
      throw new CarryonException(ExitCodes.FAILURE, "running adb: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CarryonException(ExitCodes.INTERRUPTED, "interrupted while adb ran", e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException e) {
          // A temporary file left in /tmp: harmless.
        }
      }
    }
  }

  private static String firstLine(String text) {
    for (String line : text.lines().toList()) {
      if (!line.isBlank()) {
        return line.trim();
      }
    }
    return "(nothing)";
  }
}
