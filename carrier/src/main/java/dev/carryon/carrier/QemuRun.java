package dev.carryon.carrier;

import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The QEMU a generation's session ran under, as recorded with the generation: which version and
 * accelerator saved its RAM state (or last wrote its disk, for a generation without one), and
 * under which machine type. The machine type is the one a resume of the generation must use; it
 * differs from the carrier's {@link VmConfig#machineType()} after a cold boot under another type
 * ({@code resume --cold-boot --machine TYPE}).
 *
 * @param version QEMU's version and build as it reported them, e.g. {@code 7.2.22 (Debian
 *     1:7.2+dfsg-7+deb12u18+b3)}: for people, never run
 * @param accel {@code kvm} or {@code tcg}
 * @param machineType the versioned machine type, held to {@link VmConfig}'s rule (it reaches QEMU's
 *     command line)
 */
public record QemuRun(String version, String accel, String machineType) {
  /** Accelerators carryon runs under. */
  private static final Set<String> ACCELS = Set.of("kvm", "tcg");
  /** A version for people: printable ASCII, short. */
  private static final Pattern VERSION = Pattern.compile("[\\x20-\\x7e]{1,100}");

  public QemuRun {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(accel, "accel");
    Objects.requireNonNull(machineType, "machineType");
    if (!VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException(
          "version (" + version + ") must be 1 to 100 printable ASCII characters");
    }
    if (!ACCELS.contains(accel)) {
      throw new IllegalArgumentException("accel (" + accel + ") must be kvm or tcg");
    }
    VmConfig.requireMachineType(machineType);
  }
}
