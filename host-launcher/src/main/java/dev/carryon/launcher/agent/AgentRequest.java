package dev.carryon.launcher.agent;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One command the launcher script asks the agent to run, as it reads off the wire: fields each
 * ended by a NUL byte, in this order: {@value #MAGIC}, the token, the working folder, three flags
 * ({@code 0} or {@code 1}: whether stdin, stdout and stderr are terminals), the number of
 * environment entries and the entries ({@code NAME=VALUE}), the number of arguments and the
 * arguments. Bounded before anything is allocated: the token proves the sender is this user, but
 * a bug of the script must not make the agent run out of memory.
 *
 * @param cwd the script's working folder
 * @param stdinTty whether its stdin is a terminal
 * @param stdoutTty whether its stdout is a terminal
 * @param stderrTty whether its stderr is a terminal
 * @param environment its exported environment
 * @param args the command's arguments (the command's name first)
 */
public record AgentRequest(
    String cwd,
    boolean stdinTty,
    boolean stdoutTty,
    boolean stderrTty,
    Map<String, String> environment,
    List<String> args) {

  /** The first field: the protocol and its version. */
  static final String MAGIC = "carryon-agent 1";

  /** Longest field. */
  static final int MAX_FIELD = 64 * 1024;

  /** Most environment entries or arguments. */
  static final int MAX_ENTRIES = 4096;

  /** Most bytes of a whole request. */
  static final int MAX_REQUEST = 4 * 1024 * 1024;

  /**
   * Variables that differ between a shell and a program it starts, or between two shells of one
   * session, and that no carryon command reads: not compared.
   */
  private static final List<String> IGNORED =
      List.of("_", "PWD", "OLDPWD", "SHLVL", "COLUMNS", "LINES");

  /**
   * Reads a request from {@code in} (buffered: it is read a byte at a time), refusing it when it does not start with the magic or does not
   * carry {@code token}.
   */
  static AgentRequest read(InputStream in, String token) throws IOException {
    Fields f = new Fields(in);
    String magic = f.next("magic");
    if (!MAGIC.equals(magic)) {
      throw new AgentException("not a carryon agent request (or another version): starts " + quote(magic));
    }
    if (!MessageDigest.isEqual(
        f.next("token").getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
      throw new AgentException("wrong token");
    }
    String cwd = f.next("working folder");
    String flags = f.next("terminal flags");
    if (!flags.matches("[01]{3}")) {
      throw new AgentException("terminal flags " + quote(flags) + " are not three of 0 and 1");
    }
    Map<String, String> env = new TreeMap<>();
    int entries = f.count("environment");
    for (int i = 0; i < entries; i++) {
      String e = f.next("environment entry");
      int eq = e.indexOf('=');
      if (eq <= 0) {
        throw new AgentException("environment entry " + quote(e) + " has no NAME=");
      }
      env.put(e.substring(0, eq), e.substring(eq + 1));
    }
    List<String> args = new ArrayList<>();
    int n = f.count("arguments");
    for (int i = 0; i < n; i++) {
      args.add(f.next("argument"));
    }
    return new AgentRequest(
        cwd, flags.charAt(0) == '1', flags.charAt(1) == '1', flags.charAt(2) == '1', env, List.copyOf(args));
  }

  /**
   * The variables in which {@code environment} and this request's differ, ignoring those no
   * command reads ({@link #IGNORED}); empty when the agent's own environment is the request's.
   */
  List<String> differences(Map<String, String> environment) {
    Map<String, String> mine = comparable(environment);
    Map<String, String> theirs = comparable(this.environment);
    List<String> names = new ArrayList<>();
    for (String name : mine.keySet()) {
      if (!mine.get(name).equals(theirs.get(name))) {
        names.add(name);
      }
    }
    for (String name : theirs.keySet()) {
      if (!mine.containsKey(name)) {
        names.add(name);
      }
    }
    return names;
  }

  private static Map<String, String> comparable(Map<String, String> environment) {
    Map<String, String> m = new TreeMap<>(environment);
    m.keySet().removeAll(IGNORED);
    return m;
  }

  private static String quote(String s) {
    return "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
  }

  /** The NUL-ended fields of one request, counted against its bounds. */
  private static final class Fields {
    private final InputStream in;
    private int total;

    Fields(InputStream in) {
      this.in = in;
    }

    String next(String what) throws IOException {
      ByteArrayOutputStream field = new ByteArrayOutputStream();
      for (int b = in.read(); b != 0; b = in.read()) {
        if (b < 0) {
          throw new EOFException("the request ends inside its " + what);
        }
        if (field.size() == MAX_FIELD) {
          throw new AgentException("its " + what + " is longer than " + MAX_FIELD + " bytes");
        }
        if (++total > MAX_REQUEST) {
          throw new AgentException("the request is longer than " + MAX_REQUEST + " bytes");
        }
        field.write(b);
      }
      return field.toString(StandardCharsets.UTF_8);
    }

    int count(String what) throws IOException {
      String n = next("number of " + what);
      if (!n.matches("[0-9]{1,5}") || Integer.parseInt(n) > MAX_ENTRIES) {
        throw new AgentException("number of " + what + " " + quote(n) + " is not 0 to " + MAX_ENTRIES);
      }
      return Integer.parseInt(n);
    }
  }
}
