package dev.carryon.launcher.qemu;

import dev.carryon.carrier.VmConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything one QEMU start needs: the recorded {@link VmConfig} plus the facts of this host and
 * this run (where the files are, which accelerator, where the console goes). Build one with {@link
 * #of} and the {@code with...} methods.
 *
 * @param config the VM configuration; the command line is rebuilt from it and nothing else
 * @param kernelPath the kernel file on this host, or null when the config boots none
 * @param initrdPath the initrd file on this host, or null
 * @param disk the top image of the disk chain, or null for a VM without a disk
 * @param diskFormat format of {@code disk}; null exactly when {@code disk} is null
 * @param backing the images below {@code disk}, top first, the last with no backing image: QEMU
 *     opens exactly these and never follows a backing file name an image's header records (a
 *     carrier's headers are untrusted); null to let QEMU follow the headers (a user's own disk)
 * @param accel the accelerator to run under
 * @param consoleFile file the serial console is written to, or null for QEMU's stdout
 * @param display a QEMU {@code -display} value such as {@code gtk} ({@link QemuDisplay}), or null
 *     for none
 * @param forwards ports of this host forwarded to the guest's NIC, if it has one
 * @param incoming start paused and waiting for {@code migrate-incoming} (a restore)
 * @param diskKey the secret that opens every qcow2 image of the disk (all LUKS-encrypted), or null
 *     when none is encrypted
 */
public record QemuLaunch(
    VmConfig config,
    Path kernelPath,
    Path initrdPath,
    Path disk,
    DiskFormat diskFormat,
    List<Image> backing,
    Accel accel,
    Path consoleFile,
    String display,
    List<HostForward> forwards,
    boolean incoming,
    DiskKey diskKey) {

  public QemuLaunch {
    Objects.requireNonNull(config, "config");
    if ((config.kernel() == null) != (kernelPath == null)
        || (config.initrd() == null) != (initrdPath == null)) {
      throw new IllegalArgumentException(
          "kernel and initrd files (" + kernelPath + ", " + initrdPath + ") must be given exactly"
              + " when the config names them (" + config.kernel() + ", " + config.initrd() + ")");
    }
    Objects.requireNonNull(accel, "accel");
    forwards = List.copyOf(forwards);
    if ((disk == null) != (diskFormat == null)) {
      throw new IllegalArgumentException(
          "disk (" + disk + ") and diskFormat (" + diskFormat + ") must be given together");
    }
    if (backing != null) {
      if (disk == null) {
        throw new IllegalArgumentException("backing (" + backing + ") given without a disk");
      }
      backing = List.copyOf(backing);
      for (int i = 0; i < backing.size() - 1; i++) {
        if (backing.get(i).format() != DiskFormat.QCOW2) {
          throw new IllegalArgumentException(
              "backing (" + backing + "): only the lowest image may be raw");
        }
      }
    }
  }

  /**
   * One image of a disk chain and its format: a local file at {@code path}, or, when {@code
   * nbdExport} is set, export {@code nbdExport} of the NBD server on UNIX socket {@code path}
   * (carryon's block server, {@code dev.carryon.launcher.blocks}).
   */
  public record Image(Path path, DiskFormat format, String nbdExport) {
    public Image {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(format, "format");
    }

    /** The local file {@code path}. */
    public Image(Path path, DiskFormat format) {
      this(path, format, null);
    }

    /** Export {@code export} of the NBD server on UNIX socket {@code socket}. */
    public static Image nbd(Path socket, String export, DiskFormat format) {
      return new Image(socket, format, Objects.requireNonNull(export, "export"));
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
        null,
        Accel.TCG,
        null,
        null,
        List.of(),
        false,
        null);
  }

  /** This launch with the config's kernel and initrd in these files (null where it names none). */
  public QemuLaunch withBootFiles(Path kernel, Path initrd) {
    return new QemuLaunch(
        config, kernel, initrd, disk, diskFormat, backing, accel, consoleFile, display, forwards,
        incoming, diskKey);
  }

  /** This launch with {@code disk} on top of a chain QEMU follows by the images' headers. */
  public QemuLaunch withDisk(Path disk, DiskFormat format) {
    return new QemuLaunch(
        config, kernelPath, initrdPath, disk, format, null, accel, consoleFile, display, forwards,
        incoming, diskKey);
  }

  /** This launch with {@code disk} on top of exactly the images {@code backing}, top first. */
  public QemuLaunch withDisk(Path disk, DiskFormat format, List<Image> backing) {
    return new QemuLaunch(
        config, kernelPath, initrdPath, disk, format, backing, accel, consoleFile, display,
        forwards, incoming, diskKey);
  }

  public QemuLaunch withAccel(Accel accel) {
    return new QemuLaunch(
        config, kernelPath, initrdPath, disk, diskFormat, backing, accel, consoleFile, display,
        forwards, incoming, diskKey);
  }

  public QemuLaunch withConsole(Path consoleFile) {
    return new QemuLaunch(
        config, kernelPath, initrdPath, disk, diskFormat, backing, accel, consoleFile, display,
        forwards, incoming, diskKey);
  }

  public QemuLaunch withDisplay(String display) {
    return new QemuLaunch(
        config, kernelPath, initrdPath, disk, diskFormat, backing, accel, consoleFile, display,
        forwards, incoming, diskKey);
  }

  public QemuLaunch withForwards(List<HostForward> forwards) {
    return new QemuLaunch(
        config, kernelPath, initrdPath, disk, diskFormat, backing, accel, consoleFile, display,
        forwards, incoming, diskKey);
  }

  public QemuLaunch withIncoming(boolean incoming) {
    return new QemuLaunch(
        config, kernelPath, initrdPath, disk, diskFormat, backing, accel, consoleFile, display,
        forwards, incoming, diskKey);
  }

  /** This launch with every qcow2 image of its disk opened by the secret {@code diskKey} holds. */
  public QemuLaunch withDiskKey(DiskKey diskKey) {
    return new QemuLaunch(
        config, kernelPath, initrdPath, disk, diskFormat, backing, accel, consoleFile, display,
        forwards, incoming, diskKey);
  }
}
