package dev.carryon.launcher.cli;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierFiles;
import dev.carryon.carrier.CarrierInit;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.VmConfig;
import dev.carryon.carrier.VmDevice;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.qemu.QemuTool;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.session.HostCapabilities;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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

  @Mixin PassphraseOption passphrase;

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

  @Option(names = "--display-adapter", paramLabel = "TYPE", defaultValue = "virtio-vga", description = "The VM's display adapter: virtio-vga, VGA (for guests without a virtio-gpu driver) or none (default: ${DEFAULT-VALUE}).")
  String displayAdapter;

  @Option(names = "--input", paramLabel = "KIND", description = "Keyboard and pointer for a window: usb (a tablet and a keyboard on an xHCI controller), virtio, or none (default: usb with a display adapter, none without).")
  String input;

  @Option(names = "--no-nic", description = "No network card (by default the VM gets a virtio-net card, whose MAC address is fixed here so the guest's network config survives every carry).")
  boolean noNic;

  @Option(names = "--mac", paramLabel = "MAC", description = "The network card's MAC address (default: 52:54:00 and three random bytes).")
  String mac;

  @Option(names = "--encrypt", description = "Encrypt the carrier: a random key, opened by a passphrase (--passphrase-file FILE, " + Passphrases.ENV + ", or asked twice on the terminal), encrypts its disk images (LUKS qcow2; the given image is read, not changed) and RAM states and authenticates its manifest.")
  boolean encrypt;

  @Option(names = "--keep", paramLabel = "N", defaultValue = "" + CarrierFiles.DEFAULT_KEEP, description = "Hibernation checkpoints kept (default: ${DEFAULT-VALUE}).")
  int keep;

  /** The devices beyond the disk that the options ask for, as the carrier records them. */
  private List<String> devices() {
    List<VmDevice> devices = new ArrayList<>();
    switch (displayAdapter) {
      case "virtio-vga" -> devices.add(VmDevice.of(VmDevice.Type.VIRTIO_VGA));
      case "VGA" -> devices.add(VmDevice.of(VmDevice.Type.VGA));
      case "none" -> { }
      default -> throw new CommandLine.ParameterException(
          spec.commandLine(), "--display-adapter (" + displayAdapter + ") must be virtio-vga, VGA or none");
    }
    String kind = input != null ? input : devices.isEmpty() ? "none" : "usb";
    switch (kind) {
      case "usb" -> devices.addAll(
          List.of(VmDevice.of(VmDevice.Type.XHCI), VmDevice.of(VmDevice.Type.USB_TABLET),
              VmDevice.of(VmDevice.Type.USB_KBD)));
      case "virtio" -> devices.addAll(
          List.of(VmDevice.of(VmDevice.Type.VIRTIO_KEYBOARD), VmDevice.of(VmDevice.Type.VIRTIO_TABLET)));
      case "none" -> { }
      default -> throw new CommandLine.ParameterException(
          spec.commandLine(), "--input (" + input + ") must be usb, virtio or none");
    }
    if (noNic && mac != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--mac needs a network card (no --no-nic)");
    }
    if (!noNic) {
      try {
        devices.add(VmDevice.nic(mac != null ? mac.toLowerCase(Locale.ROOT) : randomMac()));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--mac: " + e.getMessage());
      }
    }
    return devices.stream().map(VmDevice::spec).toList();
  }

  /** A MAC in QEMU's own locally administered range 52:54:00, the rest random. */
  private static String randomMac() {
    byte[] tail = new byte[3];
    new SecureRandom().nextBytes(tail);
    return String.format("52:54:00:%02x:%02x:%02x", tail[0], tail[1], tail[2]);
  }

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
    List<String> devices = devices();
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
                append, devices);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      ProgressBar bar = ProgressBar.on(err, "copying");
      CarrierInit init =
          new CarrierInit(
              vm, image, null, kernel, initrd, null, host.identity(),
              "init-" + UUID.randomUUID(), "made by carryon init", keep);
      char[] secret = encrypt ? Passphrases.installed().newPassphrase(carrier.toString()) : null;
      try (CarrierStorage storage = carrier.openForCreate();
          Carrier c = secret == null
              ? Carrier.create(storage, init, bar::update)
              : Carrier.createEncrypted(storage, init, bar::update, secret)) {
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
    if (encrypt) {
      out.printf("encrypted: disk images (LUKS qcow2), RAM states and the manifest's seal under a"
          + " key in %s; %s was read, not changed, and stays in the clear%n",
          dev.carryon.carrier.keys.KeySlots.FILE, image);
    }
    out.printf(
        "devices: %s%n", vm.extraDevices().isEmpty() ? "none (headless, no network)" : String.join(", ", vm.extraDevices()));
    if (!vm.cpuPortable()) {
      out.printf(
          "cpu %s is not portable (--cpu-unportable): the guest sees each host's CPU features%n",
          vm.cpuModel());
    }
    out.flush();
    return ExitCodes.OK;
  }
}
