package dev.carryon.launcher.cli;

import dev.carryon.carrier.VmConfig;
import dev.carryon.launcher.qemu.AccelChoice;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.qemu.AccelProbe;
import dev.carryon.launcher.qemu.DiskFormat;
import dev.carryon.launcher.qemu.QemuFacts;
import dev.carryon.launcher.qemu.QemuFactsCache;
import dev.carryon.launcher.qemu.QemuImg;
import dev.carryon.launcher.qemu.QemuLaunch;
import dev.carryon.launcher.qemu.QemuProcess;
import dev.carryon.launcher.qemu.QemuTool;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code carryon run}: boots a VM from a disk image over a fresh local COW overlay. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Boot a VM from DISK over a fresh local qcow2 overlay: DISK is never written, the guest's"
          + " writes go to the overlay, which is deleted on exit unless --overlay names it.",
      "Ctrl-C stops the VM; so does the guest powering off."
    })
final class RunCommand implements Callable<Integer> {
  /** The disk interface {@code run} attaches DISK with. */
  private static final String DISK_INTERFACE = "virtio-blk";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--image", required = true, paramLabel = "DISK",
      description = "Disk image to boot (qcow2 or raw); only read.")
  Path image;

  @Option(names = "--kernel", paramLabel = "FILE", description = "Kernel to boot directly.")
  Path kernel;

  @Option(names = "--initrd", paramLabel = "FILE", description = "Initrd for --kernel.")
  Path initrd;

  @Option(names = "--append", paramLabel = "ARGS", description = "Kernel command line for --kernel.")
  String append;

  @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256M",
      converter = MemorySize.class, description = "Guest RAM, e.g. 256M or 1G (default: ${DEFAULT-VALUE}).")
  long memoryMiB;

  @Option(names = "--cpus", paramLabel = "N", defaultValue = "1",
      description = "Virtual CPUs (default: ${DEFAULT-VALUE}).")
  int cpus;

  @Option(names = "--console", paramLabel = "FILE",
      description = "Write the serial console to FILE instead of stdout.")
  Path console;

  @Option(names = "--overlay", paramLabel = "PATH",
      description = "Create the overlay at PATH (which must not exist) and keep it after the run.")
  Path overlay;

  @Option(names = "--machine", paramLabel = "TYPE", defaultValue = "pc-q35-7.2",
      description = "Versioned QEMU machine type (default: ${DEFAULT-VALUE}).")
  String machine;

  @Option(names = "--cpu", paramLabel = "MODEL", defaultValue = "qemu64",
      description = "QEMU CPU model (default: ${DEFAULT-VALUE}).")
  String cpu;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (cpus < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--cpus must be at least 1");
    }
    DiskFormat format = DiskFormat.detect(image, "DISK");
    checkKernelFiles();
    checkOutputs();
    // Before anything is written: both programs must be there.
    QemuTool.SYSTEM.locate();
    QemuTool.IMG.locate();
    PrintWriter err = spec.commandLine().getErr();
    HostHome home = HostHome.locate();
    QemuFacts facts = new QemuFactsCache(home.qemuFactsCache()).factsOf(QemuTool.SYSTEM.locate());
    AccelChoice accel = AccelProbe.choose(home.accelProbeCache(), facts);
    say(err, accel.describe());

    Path tempDir = overlay == null ? Files.createTempDirectory("carryon-run-") : null;
    Path overlayPath = overlay == null ? tempDir.resolve("overlay.qcow2") : overlay.toAbsolutePath();
    Run run = new Run(tempDir);
    Thread hook = new Thread(run::finish, "carryon-run-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      QemuImg.createOverlay(image, format, overlayPath);
      say(err, "overlay " + overlayPath + (overlay == null ? " (deleted on exit)" : " (kept)"));
      QemuLaunch launch =
          QemuLaunch.of(config(), Path.of("").toAbsolutePath())
              .withDisk(overlayPath, DiskFormat.QCOW2)
              .withAccel(accel.accel())
              .withConsole(console == null ? null : console.toAbsolutePath());
      QemuProcess vm = run.start(launch);
      say(err, "serial console " + (console == null ? "on stdout" : "written to " + console));
      say(err, "VM running (QEMU pid " + vm.pid() + "); Ctrl-C stops it");
      while (!vm.waitForExit(Duration.ofDays(1))) {
        // The guest runs until it powers off or the user stops it.
      }
      int exit = vm.exitCode().getAsInt();
      if (exit != 0) {
        String tail = vm.stderrTail();
        throw new CarryonException(
            ExitCodes.FAILURE, "QEMU exited with code " + exit + (tail.isEmpty() ? "" : ": " + tail));
      }
      say(err, "VM stopped");
      return ExitCodes.OK;
    } finally {
      run.finish();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down (Ctrl-C): the hook runs the same finish.
      }
    }
  }

  private VmConfig config() {
    return new VmConfig(
        machine, cpu, memoryMiB, cpus, DISK_INTERFACE,
        kernel == null ? null : kernel.toAbsolutePath().toString(),
        initrd == null ? null : initrd.toAbsolutePath().toString(),
        append, List.of());
  }

  private void checkKernelFiles() {
    if (kernel == null && initrd != null) {
      throw new CarryonException(ExitCodes.USAGE, "--initrd needs --kernel");
    }
    if (kernel == null && append != null) {
      throw new CarryonException(ExitCodes.USAGE, "--append needs --kernel");
    }
    requireFile(kernel, "--kernel");
    requireFile(initrd, "--initrd");
  }

  private void checkOutputs() {
    if (overlay != null && Files.exists(overlay)) {
      throw new CarryonException(
          ExitCodes.REFUSED, "--overlay " + overlay + " already exists; remove it or choose another path");
    }
    requireFolderOf(overlay, "--overlay");
    requireFolderOf(console, "--console");
  }

  private static void requireFile(Path file, String option) {
    if (file == null) {
      return;
    }
    if (!Files.exists(file)) {
      throw new CarryonException(ExitCodes.BAD_INPUT, option + " " + file + ": no such file");
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new CarryonException(ExitCodes.BAD_INPUT, option + " " + file + " is not a readable file");
    }
  }

  private static void requireFolderOf(Path file, String option) {
    if (file == null) {
      return;
    }
    Path parent = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(parent)) {
      throw new CarryonException(ExitCodes.BAD_INPUT, option + " " + file + ": no such folder " + parent);
    }
  }

  private static void say(PrintWriter err, String line) {
    err.println("carryon: " + line);
    err.flush();
  }

  /** The VM and the files of one run; {@link #finish} stops and removes them once. */
  private static final class Run {
    /** Folder of the temporary overlay, deleted at the end; null when the user named it. */
    private final Path tempDir;
    private QemuProcess vm;
    private boolean finished;

    Run(Path tempDir) {
      this.tempDir = tempDir;
    }

    synchronized QemuProcess start(QemuLaunch launch) throws IOException {
      if (finished) {
        throw new CarryonException(ExitCodes.INTERRUPTED, "stopped before the VM started");
      }
      vm = QemuProcess.start(launch);
      return vm;
    }

    /** Stops QEMU (quit, then signals), then deletes the temporary overlay. */
    synchronized void finish() {
      if (finished) {
        return;
      }
      finished = true;
      if (vm != null) {
        vm.close();
      }
      if (tempDir != null) {
        try (var files = Files.list(tempDir)) {
          for (Path f : files.toList()) {
            Files.deleteIfExists(f);
          }
          Files.deleteIfExists(tempDir);
        } catch (IOException e) {
          System.err.println("carryon: could not delete " + tempDir + ": " + e.getMessage());
        }
      }
    }
  }
}
