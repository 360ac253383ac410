package dev.carryon.launcher.qemu;

import dev.carryon.carrier.VmConfig;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything one QEMU start needs: the recorded {@link VmConfig} plus the facts of this host and
 * this run (where the files are, which accelerator, where the console goes). Build one with {@link
 * #of} and the {@code with...} methods.
 *
 * @param config the VM configuration; the command line is rebuilt from it and nothing else
 * @param kernelPath the kernel file on this host, or null when the config boots none
 * @param initrdPath the initrd file on this host, or null
 * @param disk the top image of the disk chain (QEMU opens its backing files itself), or null for a
 *     VM without a disk
 * @param diskFormat format of {@code disk}; null exactly when {@code disk} is null
 * @param accel the accelerator to run under
 * @param consoleFile file the serial console is written to, or null for QEMU's stdout
 * @param display a QEMU {@code -display} type such as {@code gtk}, or null for none
 * @param incoming start paused and waiting for {@code migrate-incoming} (a restore)
 */
public record QemuLaunch(
    VmConfig config,
    Path kernelPath,
    Path initrdPath,
    Path disk,
    DiskFormat diskFormat,
    Accel accel,
    Path consoleFile,
    String display,
    boolean incoming) {

  public QemuLaunch {
    Objects.requireNonNull(config, "config");
    if ((config.kernel() == null) != (kernelPath == null)
        || (config.initrd() == null) != (initrdPath == null)) {
      throw new IllegalArgumentException(
          "kernel and initrd files (" + kernelPath + ", " + initrdPath + ") must be given exactly"
              + " when the config names them (" + config.kernel() + ", " + config.initrd() + ")");
    }
    Objects.requireNonNull(accel, "accel");
    if ((disk == null) != (diskFormat == null)) {
      throw new IllegalArgumentException(
          "disk (" + disk + ") and diskFormat (" + diskFormat + ") must be given together");
    }
  }

  /**
   * A launch of {@code config} without a disk, under TCG, console on stdout, no display; the
   * config's kernel and initrd names are resolved against {@code fileRoot}.
   */
  public static QemuLaunch of(VmConfig config, Path fileRoot) {
    return new QemuLaunch(
        config,
        config.kernel() == null ? null : fileRoot.resolve(config.kernel()),
        config.initrd() == null ? null : fileRoot.resolve(config.initrd()),
        null,
        null,
        Accel.TCG,
        null,
        null,
        false);
  }

  /** This launch with the config's kernel and initrd in these files (null where it names none). */
  public QemuLaunch withBootFiles(Path kernel, Path initrd) {
    return new QemuLaunch(
        config, kernel, initrd, disk, diskFormat, accel, consoleFile, display, incoming);
  }

  public QemuLaunch withDisk(Path disk, DiskFormat format) {
    return new QemuLaunch(config, kernelPath, initrdPath, disk, format, accel, consoleFile, display, incoming);
  }

  public QemuLaunch withAccel(Accel accel) {
    return new QemuLaunch(config, kernelPath, initrdPath, disk, diskFormat, accel, consoleFile, display, incoming);
  }

  public QemuLaunch withConsole(Path consoleFile) {
    return new QemuLaunch(config, kernelPath, initrdPath, disk, diskFormat, accel, consoleFile, display, incoming);
  }

  public QemuLaunch withDisplay(String display) {
    return new QemuLaunch(config, kernelPath, initrdPath, disk, diskFormat, accel, consoleFile, display, incoming);
  }

  public QemuLaunch withIncoming(boolean incoming) {
    return new QemuLaunch(config, kernelPath, initrdPath, disk, diskFormat, accel, consoleFile, display, incoming);
  }
}
