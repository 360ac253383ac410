package dev.carryon.launcher.session;

import dev.carryon.carrier.VmConfig;
import dev.carryon.launcher.qemu.QemuFacts;
import dev.carryon.launcher.qemu.QemuFactsCache;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What this host's QEMU offers ({@link QemuFacts}, asked over QMP), and so whether it can run a
 * {@link VmConfig} and restore a state saved under it. QEMU itself only refuses some mismatches at
 * restore time (and accepts others silently), so this is asked before anything is written: the
 * machine type and CPU model must exist here and the RAM fit the host ({@link VmConfig} keeps the
 * CPUs within what every q35 and i440fx type takes).
 *
 * <p>New carriers are kept portable: they get {@value #PORTABLE_MACHINE}, the newest machine type
 * of Debian 12's QEMU (7.2), which Debian 13's QEMU (10.0) and every QEMU between still offer (QEMU
 * keeps a versioned machine type for six years before it drops it); a newer type would make a
 * carrier that no Debian 12 host can run. CPU models that are not migration-safe ({@code max},
 * {@code host}) give the guest whatever the host offers, so they need {@code --cpu-unportable}.
 */
public final class HostCapabilities {
  /** The machine type new carriers get where this host offers it; see the class doc. */
  public static final String PORTABLE_MACHINE = "pc-q35-7.2";

  private static final Pattern MEM_AVAILABLE = Pattern.compile("^MemAvailable:\\s+(\\d+) kB$");
  private static final Pattern VERSIONED_Q35 = Pattern.compile("pc-q35-(\\d+)\\.(\\d+)");

  /** This host's QEMU, as it answered. */
  private final QemuFacts qemu;
  /** RAM free for a new process, in MiB; -1 when unknown. */
  private final long availableMiB;

  HostCapabilities(QemuFacts qemu, long availableMiB) {
    this.qemu = qemu;
    this.availableMiB = availableMiB;
  }

  /** Asks {@code qemuBinary} (or {@code factsCache}) what it offers, and the kernel what RAM is free. */
  public static HostCapabilities probe(Path qemuBinary, Path factsCache) throws IOException {
    return ask(qemuBinary, factsCache).answer();
  }

  /**
   * Starts asking (a short QEMU run when the cache does not know {@code qemuBinary}) and returns at
   * once: the caller can do other work, such as hashing, until it needs {@link Asking#answer}.
   */
  public static Asking ask(Path qemuBinary, Path factsCache) {
    QemuFactsCache cache = new QemuFactsCache(factsCache);
    return new Asking(
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return cache.factsOf(qemuBinary);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            }));
  }

  /** The question {@link #ask} put to QEMU, maybe still running. */
  public static final class Asking {
    private final CompletableFuture<QemuFacts> facts;

    private Asking(CompletableFuture<QemuFacts> facts) {
      this.facts = facts;
    }

    /**
     * Waits for the question to end, whatever its answer: a command that gives up before it needs
     * the answer leaves nothing behind that still writes the facts' cache into its home.
     */
    public void settle() {
      facts.exceptionally(e -> null).join();
    }

    /** Waits for QEMU's answers and reads them. */
    public HostCapabilities answer() throws IOException {
      try {
        return new HostCapabilities(facts.get(), availableMiB(Path.of("/proc/meminfo")));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while asking QEMU what it offers");
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
        if (cause instanceof IOException io) {
          throw new IOException("could not ask QEMU what it offers: " + io.getMessage(), io);
        }
        throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
      }
    }
  }

  /** This host's QEMU, as it answered. */
  public QemuFacts qemu() {
    return qemu;
  }

  /**
   * The versioned machine type {@code name} stands for: an alias such as {@code q35} is resolved
   * (a state saved under an alias could not be restored by a newer QEMU), a versioned name is kept.
   *
   * @throws IllegalArgumentException when this QEMU has no such machine type
   */
  public String pinnedMachine(String name) {
    String versioned = qemu.machineForAlias(name);
    if (versioned != null) {
      return versioned;
    }
    if (!qemu.machines().containsKey(name)) {
      throw new IllegalArgumentException(
          "this host's QEMU " + qemu.version() + " has no machine type " + name + " (it has "
              + String.join(", ", q35Types()) + ", ...)");
    }
    return name;
  }

  /**
   * The machine type a new carrier gets, and why: {@value #PORTABLE_MACHINE} where this QEMU has
   * it, else this QEMU's own q35 type (which older QEMUs cannot run).
   */
  public Choice defaultMachine() {
    if (qemu.machines().containsKey(PORTABLE_MACHINE)) {
      return new Choice(
          PORTABLE_MACHINE,
          "the newest type of Debian 12's QEMU 7.2, which later QEMUs keep: the carrier runs on"
              + " QEMU 7.2 and newer");
    }
    String own = qemu.machineForAlias("q35");
    return new Choice(
        own,
        "this host's QEMU " + qemu.version() + " has no " + PORTABLE_MACHINE + "; only QEMUs that"
            + " offer " + own + " can run the carrier");
  }

  /** A choice made for the user, with its reason. */
  public record Choice(String value, String why) {}

  /**
   * Why a new carrier cannot have CPU model {@code model} here, or null when it can: the model must
   * exist, and unless {@code unportableAllowed} be migration-safe and lack nothing under TCG.
   */
  public String cpuProblem(String model, boolean unportableAllowed) {
    QemuFacts.CpuModel cpu = qemu.cpus().get(model);
    if (cpu == null) {
      return "this host's QEMU " + qemu.version() + " has no CPU model " + model;
    }
    if (unportableAllowed) {
      return null;
    }
    if (!cpu.migrationSafe()) {
      return "CPU model " + model + " is not portable: it gives the guest whatever the host's CPU"
          + " or QEMU version offers, and a guest that uses a feature the next host lacks can fault"
          + " after the carry (QEMU does not compare them); give --cpu-unportable to take it anyway";
    }
    if (!cpu.unavailable().isEmpty()) {
      return "CPU model " + model + " needs features this host's QEMU cannot give under TCG ("
          + String.join(", ", cpu.unavailable()) + "): the guest would see them on some hosts and"
          + " not on others; give --cpu-unportable to take it anyway";
    }
    return null;
  }

  /**
   * Every reason this host cannot run {@code config}; empty when it can. The machine type's
   * problem comes first when there is one.
   */
  public List<String> problems(VmConfig config) {
    List<String> problems = new ArrayList<>();
    QemuFacts.Machine machine = qemu.machines().get(config.machineType());
    if (machine == null) {
      problems.add(
          "this host's QEMU " + qemu.version() + " has no machine type " + config.machineType());
    }
    if (!qemu.cpus().containsKey(config.cpuModel())) {
      problems.add(
          "this host's QEMU " + qemu.version() + " has no CPU model " + config.cpuModel());
    }
    if (availableMiB >= 0 && availableMiB < config.memoryMiB()) {
      problems.add(
          "the VM needs " + config.memoryMiB() + " MiB of RAM but this host has " + availableMiB
              + " MiB available");
    }
    return problems;
  }

  /** What may go wrong running {@code config} here, though it can run; empty when nothing. */
  public List<String> warnings(VmConfig config) {
    List<String> warnings = new ArrayList<>();
    QemuFacts.Machine machine = qemu.machines().get(config.machineType());
    if (machine != null && machine.deprecated()) {
      warnings.add(
          "machine type " + machine.name() + " is deprecated in QEMU " + qemu.version()
              + ": a later QEMU drops it (carryon resume --cold-boot --machine "
              + defaultMachine().value() + " moves the disk to another type)");
    }
    QemuFacts.CpuModel cpu = qemu.cpus().get(config.cpuModel());
    if (cpu != null && !cpu.unavailable().isEmpty()) {
      warnings.add(
          "CPU model " + cpu.name() + " lacks " + String.join(", ", cpu.unavailable())
              + " under TCG on this host's QEMU " + qemu.version()
              + ": a guest that used them elsewhere may fault");
    }
    return warnings;
  }

  /** This QEMU's versioned q35 machine types, newest first. */
  private List<String> q35Types() {
    List<String> names = new ArrayList<>();
    for (String name : qemu.machines().keySet()) {
      if (VERSIONED_Q35.matcher(name).matches()) {
        names.add(name);
      }
    }
    names.sort((a, b) -> Long.compare(versionOf(b), versionOf(a)));
    return names.subList(0, Math.min(3, names.size()));
  }

  private static long versionOf(String q35) {
    Matcher m = VERSIONED_Q35.matcher(q35);
    return m.matches() ? Long.parseLong(m.group(1)) * 1000 + Long.parseLong(m.group(2)) : -1;
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
}
