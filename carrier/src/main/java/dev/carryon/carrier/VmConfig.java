package dev.carryon.carrier;

import java.util.List;
import java.util.Objects;

/**
 * The exact virtual machine configuration a hibernation state was saved under. QEMU accepts a
 * restore into a VM with an extra device or another CPU model without complaint, so the command
 * line on every host is rebuilt from this record and nothing else.
 *
 * @param machineType a concrete, versioned QEMU machine type such as {@code pc-q35-7.2}, never an
 *     alias like {@code q35}
 * @param cpuModel the {@code -cpu} model, e.g. {@code qemu64}
 * @param memoryMiB guest RAM in MiB
 * @param cpus number of virtual CPUs ({@code -smp})
 * @param diskInterface how the disk is attached: {@code virtio-blk} (the only one supported yet)
 * @param kernel carrier-relative file name of the kernel for direct boot, or null to boot the disk
 * @param initrd carrier-relative file name of the initrd, or null
 * @param append kernel command line, or null
 * @param extraDevices further {@code -device} arguments, in order; empty when none
 */
public record VmConfig(
    String machineType,
    String cpuModel,
    long memoryMiB,
    int cpus,
    String diskInterface,
    String kernel,
    String initrd,
    String append,
    List<String> extraDevices) {

  public VmConfig {
    Objects.requireNonNull(machineType, "machineType");
    Objects.requireNonNull(cpuModel, "cpuModel");
    Objects.requireNonNull(diskInterface, "diskInterface");
    if (memoryMiB <= 0) {
      throw new IllegalArgumentException("memoryMiB (" + memoryMiB + ") must be positive");
    }
    if (cpus <= 0) {
      throw new IllegalArgumentException("cpus (" + cpus + ") must be positive");
    }
    if (initrd != null && kernel == null) {
      throw new IllegalArgumentException("initrd (" + initrd + ") given without a kernel");
    }
    extraDevices = extraDevices == null ? List.of() : List.copyOf(extraDevices);
  }
}
