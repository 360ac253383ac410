package dev.carryon.launcher.session;

import dev.carryon.carrier.VmConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What this host's QEMU offers, and so whether it can restore a state saved under a given {@link
 * VmConfig}. QEMU itself only refuses some mismatches at restore time (and accepts others
 * silently), so this is asked before anything is written: the machine type and CPU model must
 * exist here and the RAM must fit.
 */
public final class HostCapabilities {
  private static final Pattern MACHINE_LINE = Pattern.compile("^(\\S+)\\s+.*$");
  private static final Pattern MACHINE_ALIAS = Pattern.compile("^(\\S+)\\s+.*\\(alias of (\\S+)\\)$");
  private static final Pattern CPU_LINE = Pattern.compile("^x86\\s+(\\S+).*$");
  private static final Pattern MEM_AVAILABLE = Pattern.compile("^MemAvailable:\\s+(\\d+) kB$");

  /** Machine types this QEMU offers. */
  private final Set<String> machines;
  /** Alias (e.g. {@code q35}) to the versioned machine type it stands for here. */
  private final Map<String, String> machineAliases;
  /** CPU models this QEMU offers. */
  private final Set<String> cpus;
  /** RAM free for a new process, in MiB; -1 when unknown. */
  private final long availableMiB;

  private HostCapabilities(
      Set<String> machines, Map<String, String> machineAliases, Set<String> cpus, long availableMiB) {
    this.machines = machines;
    this.machineAliases = machineAliases;
    this.cpus = cpus;
    this.availableMiB = availableMiB;
  }

  /** Asks the given QEMU binary what it supports and the kernel how much RAM is free. */
  public static HostCapabilities probe(Path qemuBinary) throws IOException {
    return ask(qemuBinary).answer();
  }

  /**
   * Starts asking {@code qemuBinary} (both questions at once, each a short QEMU run) and returns
   * at once: the caller can do other work, such as hashing, until it needs {@link Asking#answer}.
   */
  public static Asking ask(Path qemuBinary) throws IOException {
    Question machines = Question.start(qemuBinary, "-machine", "help");
    try {
      return new Asking(machines, Question.start(qemuBinary, "-cpu", "help"));
    } catch (IOException | RuntimeException e) {
      machines.process.destroyForcibly();
      throw e;
    }
  }

  /** The two questions {@link #ask} put to QEMU, still running. */
  public static final class Asking {
    private final Question machines;
    private final Question cpus;

    private Asking(Question machines, Question cpus) {
      this.machines = machines;
      this.cpus = cpus;
    }

    /** Waits for QEMU's answers and reads them. */
    public HostCapabilities answer() throws IOException {
      List<String> machineHelp;
      try {
        machineHelp = machines.answer();
      } catch (IOException | RuntimeException e) {
        cpus.process.destroyForcibly();
        throw e;
      }
      List<String> cpuHelp = cpus.answer();
      Set<String> machineNames = matches(machineHelp, MACHINE_LINE);
      machineNames.remove("Supported");
      Map<String, String> aliases = new HashMap<>();
      for (String line : machineHelp) {
        Matcher m = MACHINE_ALIAS.matcher(line);
        if (m.matches()) {
          aliases.put(m.group(1), m.group(2));
        }
      }
      return new HostCapabilities(
          machineNames, aliases, matches(cpuHelp, CPU_LINE), availableMiB(Path.of("/proc/meminfo")));
    }
  }

  /**
   * The versioned machine type {@code name} stands for: an alias such as {@code q35} is resolved
   * (a state saved under an alias could not be restored by a newer QEMU), a versioned name is kept.
   *
   * @throws IllegalArgumentException when this QEMU has no such machine type
   */
  public String pinnedMachine(String name) {
    if (!machines.contains(name)) {
      throw new IllegalArgumentException(
          "this host's QEMU has no machine type " + name + " (see qemu-system-x86_64 -machine help)");
    }
    return machineAliases.getOrDefault(name, name);
  }

  /** Every reason this host cannot restore {@code config}; empty when it can. */
  public List<String> problems(VmConfig config) {
    List<String> problems = new ArrayList<>();
    if (!machines.contains(config.machineType())) {
      problems.add(
          "this host's QEMU has no machine type " + config.machineType()
              + " (it was saved under that type; see qemu-system-x86_64 -machine help)");
    }
    if (!cpus.contains(config.cpuModel())) {
      problems.add("this host's QEMU has no CPU model " + config.cpuModel());
    }
    if (availableMiB >= 0 && availableMiB < config.memoryMiB()) {
      problems.add(
          "the VM needs " + config.memoryMiB() + " MiB of RAM but this host has " + availableMiB
              + " MiB available");
    }
    return problems;
  }

  static long availableMiB(Path meminfo) throws IOException {
    if (!Files.isReadable(meminfo)) {
      return -1;
    }
    for (String line : Files.readAllLines(meminfo, StandardCharsets.US_ASCII)) {
      Matcher m = MEM_AVAILABLE.matcher(line.trim());
      if (m.matches()) {
        return Long.parseLong(m.group(1)) / 1024;
      }
    }
    return -1;
  }

  private static Set<String> matches(List<String> lines, Pattern pattern) {
    Set<String> names = new HashSet<>();
    for (String line : lines) {
      Matcher m = pattern.matcher(line);
      if (m.matches()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /** One QEMU run whose output answers a question. */
  private record Question(Process process, String asked) {
    static Question start(Path qemuBinary, String... args) throws IOException {
      List<String> command = new ArrayList<>();
      command.add(qemuBinary.toString());
      command.addAll(List.of(args));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      return new Question(p, String.join(" ", command));
    }

    List<String> answer() throws IOException {
      try {
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
          throw new IOException(asked + " failed: " + out.trim());
        }
        return out.lines().toList();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while asking " + asked, e);
      } finally {
        process.destroyForcibly();
      }
    }
  }
}
