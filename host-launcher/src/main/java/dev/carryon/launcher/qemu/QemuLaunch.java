package dev.carryon.launcher.qemu;

import dev.carryon.carrier.VmConfig;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything one QEMU start needs: the recorded {@link VmConfig} plus the facts of this host and
 * this run (where the files are, which accelerator, where the console goes). Build one with {@link
 * #of} and the {@code with...} methods.
 *
 * @param config the VM configuration; the command line is rebuilt from it and nothing else
 * @param fileRoot folder that the config's relative kernel and initrd names resolve against
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
 */
public record QemuLaunch(
    VmConfig config,
    Path fileRoot,
    Path disk,
    DiskFormat diskFormat,
    List<Image> backing,
    Accel accel,
    Path consoleFile,
    String display,
    List<HostForward> forwards,
    boolean incoming) {

  public QemuLaunch {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(fileRoot, "fileRoot");
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

  /** One image of a disk chain and its format. */
  public record Image(Path path, DiskFormat format) {
    public Image {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(format, "format");
    }
  }

  /** A launch of {@code config} without a disk, under TCG, console on stdout, no display. */
  public static QemuLaunch of(VmConfig config, Path fileRoot) {
    return new QemuLaunch(
        config, fileRoot, null, null, null, Accel.TCG, null, null, List.of(), false);
  }

  /** This launch with {@code disk} on top of a chain QEMU follows by the images' headers. */
  public QemuLaunch withDisk(Path disk, DiskFormat format) {
    return new QemuLaunch(
        config, fileRoot, disk, format, null, accel, consoleFile, display, forwards, incoming);
  }

  /** This launch with {@code disk} on top of exactly the images {@code backing}, top first. */
  public QemuLaunch withDisk(Path disk, DiskFormat format, List<Image> backing) {
    return new QemuLaunch(
        config, fileRoot, disk, format, backing, accel, consoleFile, display, forwards, incoming);
  }

  public QemuLaunch withAccel(Accel accel) {
    return new QemuLaunch(
        config, fileRoot, disk, diskFormat, backing, accel, consoleFile, display, forwards, incoming);
  }

  public QemuLaunch withConsole(Path consoleFile) {
    return new QemuLaunch(
        config, fileRoot, disk, diskFormat, backing, accel, consoleFile, display, forwards, incoming);
  }

  public QemuLaunch withDisplay(String display) {
    return new QemuLaunch(
        config, fileRoot, disk, diskFormat, backing, accel, consoleFile, display, forwards, incoming);
  }

  public QemuLaunch withForwards(List<HostForward> forwards) {
    return new QemuLaunch(
        config, fileRoot, disk, diskFormat, backing, accel, consoleFile, display, forwards, incoming);
  }

  public QemuLaunch withIncoming(boolean incoming) {
    return new QemuLaunch(
        config, fileRoot, disk, diskFormat, backing, accel, consoleFile, display, forwards, incoming);
  }

  /**
   * Refuses a carrier file QEMU would open that is not a regular file inside {@code folder} (by
   * its real path): carryon never makes links, and a link in a crafted carrier would have QEMU
   * open whatever it points at (its checksum limits that to files whose content the carrier's
   * maker knows, but a device or FIFO would still be opened).
   *
   * @throws CarryonException with {@link ExitCodes#BAD_INPUT} naming the file
   */
  public static void requireInside(Path folder, List<Path> files) throws IOException {
    Path root = folder.toRealPath();
    for (Path file : files) {
      Path real = file.toRealPath();
      String problem =
          !real.startsWith(root)
              ? "leads out of the carrier, to " + real
              : Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS) ? null : "not a regular file";
      if (problem != null) {
        throw new CarryonException(
            ExitCodes.BAD_INPUT,
            file + " " + problem + ": a carrier holds its own files only, and QEMU would open"
                + " this one; nothing was started");
      }
    }
  }

  /** The kernel file on this host, or null. */
  public Path kernelPath() {
    return config.kernel() == null ? null : fileRoot.resolve(config.kernel());
  }

  /** The initrd file on this host, or null. */
  public Path initrdPath() {
    return config.initrd() == null ? null : fileRoot.resolve(config.initrd());
  }
}
