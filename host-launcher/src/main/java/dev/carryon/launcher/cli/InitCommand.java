package dev.carryon.launcher.cli;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierFiles;
import dev.carryon.carrier.CarrierInit;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.VmConfig;
import dev.carryon.launcher.qemu.QemuTool;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.session.HostCapabilities;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code carryon init}: make a carrier from a disk image and a VM configuration. */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description = {
      "Make a carrier from an existing disk image (copied, never changed).",
      "The first resume cold-boots it; later resumes restore the RAM state saved at each end."
    })
final class InitCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CARRIER", description = "The carrier folder (created if absent; must hold no carrier yet).")
  Path carrier;

  @Option(names = "--image", paramLabel = "DISK", required = true, description = "The VM's disk: a qcow2 without a backing file, or a raw image.")
  Path image;

  @Option(names = "--kernel", paramLabel = "FILE", description = "Kernel for direct boot, copied onto the carrier.")
  Path kernel;

  @Option(names = "--initrd", paramLabel = "FILE", description = "Initrd for direct boot, copied onto the carrier.")
  Path initrd;

  @Option(names = "--append", paramLabel = "ARGS", description = "Kernel command line.")
  String append;

  @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", defaultValue = "256M", converter = MemorySize.class, description = "Guest RAM, e.g. 256M or 2G (default: ${DEFAULT-VALUE}).")
  long memoryMiB;

  @Option(names = "--cpus", paramLabel = "N", defaultValue = "1", description = "Virtual CPUs (default: ${DEFAULT-VALUE}).")
  int cpus;

  @Option(names = "--machine", paramLabel = "TYPE", description = "QEMU machine type, pinned to a versioned name (default: " + HostCapabilities.PORTABLE_MACHINE + ", which QEMU 7.2 and every newer QEMU run, where this host has it).")
  String machine;

  @Option(names = "--cpu", paramLabel = "MODEL", defaultValue = "qemu64", description = "QEMU CPU model (default: ${DEFAULT-VALUE}). One that is not portable across hosts and QEMU versions (max, host, or one this QEMU cannot give in full) needs --cpu-unportable.")
  String cpu;

  @Option(names = "--cpu-unportable", description = "Take a CPU model that is not portable (max, host): the guest sees the features of whichever host runs it, and can fault after a carry to a host that lacks one it used.")
  boolean cpuUnportable;

  @Option(names = "--keep", paramLabel = "N", defaultValue = "" + CarrierFiles.DEFAULT_KEEP, description = "Hibernation checkpoints kept (default: ${DEFAULT-VALUE}).")
  int keep;

  /** The machine type the carrier gets, and why (printed: the user did not choose it). */
  private HostCapabilities.Choice machine(HostCapabilities here) {
    if (machine == null) {
      return here.defaultMachine();
    }
    try {
      return new HostCapabilities.Choice(here.pinnedMachine(machine), "as --machine " + machine + " asked");
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--machine: " + e.getMessage());
    }
  }

  @Override
  public Integer call() throws Exception {
    if (cpus < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--cpus (" + cpus + ") must be at least 1");
    }
    if (keep < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--keep (" + keep + ") must be at least 1");
    }
    if (initrd != null && kernel == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--initrd needs --kernel");
    }
    PrintWriter err = spec.commandLine().getErr();
    Generation g;
    VmConfig vm;
    HostCapabilities.Choice machineType;
    try (Host host = Host.open()) {
      HostCapabilities here =
          HostCapabilities.probe(QemuTool.SYSTEM.locate(), host.home().qemuFactsCache());
      machineType = machine(here);
      String cpuProblem = here.cpuProblem(cpu, cpuUnportable);
      if (cpuProblem != null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--cpu: " + cpuProblem);
      }
      try {
        vm =
            new VmConfig(
                machineType.value(), cpu, memoryMiB, cpus, VmConfig.VIRTIO_BLK,
                kernel == null ? null : CarrierFiles.KERNEL,
                initrd == null ? null : CarrierFiles.INITRD,
                append, List.of());
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      ProgressBar bar = ProgressBar.on(err, "copying");
      CarrierInit init =
          new CarrierInit(
              vm, image, null, kernel, initrd, null, host.identity(),
              "init-" + UUID.randomUUID(), "made by carryon init", keep);
      try (Carrier c = Carrier.create(carrier, init, bar::update)) {
        bar.finish();
        g = c.current();
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "made carrier %s: generation %d, %s, cpu %s, %d MiB RAM, %d CPU(s), %s; the first resume"
            + " cold-boots%n",
        carrier, g.number(), vm.machineType(), vm.cpuModel(), vm.memoryMiB(), vm.cpus(),
        String.join(" + ", g.chain()));
    out.printf("machine type %s: %s%n", vm.machineType(), machineType.why());
    if (!vm.cpuPortable()) {
      out.printf(
          "cpu %s is not portable (--cpu-unportable): the guest sees each host's CPU features%n",
          vm.cpuModel());
    }
    out.flush();
    return ExitCodes.OK;
  }
}
