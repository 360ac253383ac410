package dev.carryon.carrier;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The exact virtual machine configuration a hibernation state was saved under. QEMU accepts a
 * restore into a VM with an extra device or another CPU model without complaint, so the command
 * line on every host is rebuilt from this record and nothing else.
 *
 * <p>A carrier is untrusted input and every field here reaches QEMU's command line, so each is held
 * to what carryon itself writes (the constructor refuses anything else, naming the field): a
 * versioned q35 or i440fx machine type, a CPU model name, sizes QEMU can run, {@code virtio-blk},
 * a kernel command line of printable ASCII within the kernel's limit, and devices from {@link
 * VmDevice}'s allow-list. None may carry an option separator ({@code ,} {@code =}) or a newline
 * into QEMU's option syntax. Whether this host's QEMU offers the machine type and CPU model is the
 * host's question, asked before a start.
 *
 * @param machineType a concrete, versioned QEMU machine type such as {@code pc-q35-7.2}, never an
 *     alias like {@code q35}
 * @param cpuModel the {@code -cpu} model, e.g. {@code qemu64}
 * @param memoryMiB guest RAM in MiB
 * @param cpus number of virtual CPUs ({@code -smp})
 * @param diskInterface how the disk is attached: {@value #VIRTIO_BLK} (the only one supported yet)
 * @param kernel carrier-relative file name of the kernel for direct boot, or null to boot the disk
 * @param initrd carrier-relative file name of the initrd, or null
 * @param append kernel command line, or null
 * @param extraDevices the VM's devices beyond its disk, in order, each a {@link VmDevice#spec()};
 *     empty for a headless VM without a network card
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

  /** The one disk interface: a virtio-blk PCI device. */
  public static final String VIRTIO_BLK = "virtio-blk";
  /** Least guest RAM: below this not even the firmware runs. */
  public static final long MIN_MEMORY_MIB = 16;
  /** Most guest RAM a carrier may ask for (1 TiB); the host's free RAM is checked apart. */
  public static final long MAX_MEMORY_MIB = 1L << 20;
  /** Most virtual CPUs (x86 without interrupt remapping); the machine type's limit is apart. */
  public static final int MAX_CPUS = 255;
  /** Longest kernel command line: x86 Linux's COMMAND_LINE_SIZE less its NUL. */
  public static final int MAX_APPEND = 2047;
  /** CPU models whose features are the host's or QEMU's newest: not portable across hosts. */
  private static final Set<String> UNPORTABLE_CPUS = Set.of("host", "max");

  /**
   * Machine types carryon writes: pinned (versioned) q35 or i440fx types, such as {@code
   * pc-q35-7.2}; distribution-named ones such as Ubuntu's {@code pc-q35-noble} too.
   */
  private static final Pattern MACHINE =
      Pattern.compile("pc-(q35|i440fx)-[0-9a-z][0-9a-z.+_-]{0,39}");
  /** A CPU model name as QEMU lists them ({@code qemu64}, {@code Skylake-Client-v4}). */
  private static final Pattern CPU = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** Printable ASCII: no control character (a newline could forge a log or console line). */
  private static final Pattern PRINTABLE = Pattern.compile("[\\x20-\\x7e]*");

  public VmConfig {
    Objects.requireNonNull(machineType, "machineType");
    Objects.requireNonNull(cpuModel, "cpuModel");
    Objects.requireNonNull(diskInterface, "diskInterface");
    requireMachineType(machineType);
    if (!CPU.matcher(cpuModel).matches()) {
      throw new IllegalArgumentException(
          "cpuModel (" + cpuModel + ") must be a CPU model name like qemu64, without options");
    }
    if (memoryMiB < MIN_MEMORY_MIB || memoryMiB > MAX_MEMORY_MIB) {
      throw new IllegalArgumentException(
          "memoryMiB (" + memoryMiB + ") must be from " + MIN_MEMORY_MIB + " to "
              + MAX_MEMORY_MIB);
    }
    if (cpus < 1 || cpus > MAX_CPUS) {
      throw new IllegalArgumentException("cpus (" + cpus + ") must be from 1 to " + MAX_CPUS);
    }
    if (!diskInterface.equals(VIRTIO_BLK)) {
      throw new IllegalArgumentException(
          "diskInterface (" + diskInterface + ") must be " + VIRTIO_BLK);
    }
    if (initrd != null && kernel == null) {
      throw new IllegalArgumentException("initrd (" + initrd + ") given without a kernel");
    }
    if (append != null
        && (append.length() > MAX_APPEND || !PRINTABLE.matcher(append).matches())) {
      throw new IllegalArgumentException(
          "append must be at most " + MAX_APPEND + " printable ASCII characters, found "
              + append.length() + " characters"
              + (PRINTABLE.matcher(append).matches() ? "" : " with control or non-ASCII ones"));
    }
    extraDevices = extraDevices == null ? List.of() : List.copyOf(extraDevices);
    VmDevice.parseAll(extraDevices);
  }

  /** Refuses a machine type carryon does not write (see {@link #MACHINE}). */
  static void requireMachineType(String machineType) {
    if (!MACHINE.matcher(machineType).matches()) {
      throw new IllegalArgumentException(
          "machineType (" + machineType + ") must be a versioned q35 or i440fx machine type,"
              + " like pc-q35-7.2");
    }
  }

  /** This configuration under machine type {@code type}. */
  public VmConfig withMachineType(String type) {
    return new VmConfig(
        type, cpuModel, memoryMiB, cpus, diskInterface, kernel, initrd, append, extraDevices);
  }

  /** The VM's devices beyond its disk, parsed; see {@link VmDevice}. */
  public List<VmDevice> devices() {
    return VmDevice.parseAll(extraDevices);
  }

  /**
   * False for a CPU model ({@code host}, {@code max}) that gives the guest whatever this host's CPU
   * or QEMU offers: a state saved under it may use features the next host lacks, and QEMU does not
   * compare them on restore.
   */
  public boolean cpuPortable() {
    return !UNPORTABLE_CPUS.contains(cpuModel);
  }
}
