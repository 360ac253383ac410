package dev.carryon.launcher.cli;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierFiles;
import dev.carryon.carrier.CarrierInit;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.VmConfig;
import dev.carryon.carrier.storage.CarrierStorage;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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

  @Mixin CarrierArg carrier;

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

  @Option(names = "--machine", paramLabel = "TYPE", defaultValue = "pc-q35-7.2", description = "QEMU machine type, pinned to a versioned name (default: ${DEFAULT-VALUE}).")
  String machine;

  @Option(names = "--cpu", paramLabel = "MODEL", defaultValue = "qemu64", description = "QEMU CPU model (default: ${DEFAULT-VALUE}).")
  String cpu;

  @Option(names = "--keep", paramLabel = "N", defaultValue = "" + CarrierFiles.DEFAULT_KEEP, description = "Hibernation checkpoints kept (default: ${DEFAULT-VALUE}).")
  int keep;

  private String pinnedMachine() throws java.io.IOException {
    try {
      return HostCapabilities.probe(QemuTool.SYSTEM.locate()).pinnedMachine(machine);
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
    VmConfig vm =
        new VmConfig(
            pinnedMachine(), cpu, memoryMiB, cpus, "virtio-blk",
            kernel == null ? null : CarrierFiles.KERNEL,
            initrd == null ? null : CarrierFiles.INITRD,
            append, List.of());
    PrintWriter err = spec.commandLine().getErr();
    ProgressBar bar = ProgressBar.on(err, "copying");
    Generation g;
    try (Host host = Host.open()) {
      CarrierInit init =
          new CarrierInit(
              vm, image, null, kernel, initrd, null, host.identity(),
              "init-" + UUID.randomUUID(), "made by carryon init", keep);
      try (CarrierStorage storage = carrier.openForCreate();
          Carrier c = Carrier.create(storage, init, bar::update)) {
        bar.finish();
        g = c.current();
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "made carrier %s: generation %d, %s, %d MiB RAM, %d CPU(s), %s; the first resume"
            + " cold-boots%n",
        carrier, g.number(), vm.machineType(), vm.memoryMiB(), vm.cpus(), String.join(" + ", g.chain()));
    out.flush();
    return ExitCodes.OK;
  }
}
