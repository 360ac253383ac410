package dev.carryon.launcher.qemu;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.VmConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the {@code qemu-system-x86_64} argument list for a {@link QemuLaunch}. Nothing QEMU would
 * add by itself is left to it ({@code -nodefaults}, no user config), so the same config gives the
 * same virtual hardware on every host, which a restore needs.
 */
public final class QemuCommandLine {
  /** {@code -device} driver for {@link VmConfig#diskInterface()} {@code virtio-blk}. */
  static final String VIRTIO_BLK = "virtio-blk";
  /** Block node name of the disk's protocol (file) layer. */
  static final String DISK_FILE_NODE = "disk0-file";
  /** Block node name of the disk's format layer, the one the guest device is attached to. */
  static final String DISK_NODE = "disk0";
  /** Chardev id of the serial console. */
  static final String CONSOLE_CHARDEV = "console0";
  /** Chardev id of the QMP monitor. */
  static final String QMP_CHARDEV = "qmp0";

  private static final ObjectMapper JSON = new ObjectMapper();

  private QemuCommandLine() {}

  /**
   * The full argument list, program first.
   *
   * @param qemu the {@code qemu-system-x86_64} binary
   * @param qmpSocket UNIX socket path QEMU listens on for QMP
   */
  public static List<String> build(Path qemu, QemuLaunch launch, Path qmpSocket) {
    VmConfig config = launch.config();
    List<String> args = new ArrayList<>();
    args.add(qemu.toString());
    args.addAll(List.of("-name", "carryon", "-nodefaults", "-no-user-config"));
    args.addAll(List.of("-machine", "type=" + escape(config.machineType())));
    args.addAll(List.of("-accel", launch.accel().qemuName()));
    args.addAll(List.of("-cpu", config.cpuModel()));
    args.addAll(List.of("-m", config.memoryMiB() + "M"));
    args.addAll(List.of("-smp", Integer.toString(config.cpus())));
    args.addAll(List.of("-display", launch.display() == null ? "none" : launch.display()));
    if (launch.kernelPath() != null) {
      args.addAll(List.of("-kernel", launch.kernelPath().toString()));
    }
    if (launch.initrdPath() != null) {
      args.addAll(List.of("-initrd", launch.initrdPath().toString()));
    }
    if (config.append() != null) {
      args.addAll(List.of("-append", config.append()));
    }
    if (launch.disk() != null) {
      addDisk(args, config, launch.disk(), launch.diskFormat());
    }
    for (String device : config.extraDevices()) {
      args.addAll(List.of("-device", device));
    }
    if (launch.consoleFile() == null) {
      // signal=off: a Ctrl-C typed into the console must reach carryon, not kill QEMU.
      args.addAll(List.of("-chardev", "stdio,id=" + CONSOLE_CHARDEV + ",signal=off"));
    } else {
      args.addAll(
          List.of(
              "-chardev",
              "file,id=" + CONSOLE_CHARDEV + ",path=" + escape(launch.consoleFile().toString())));
    }
    args.addAll(List.of("-serial", "chardev:" + CONSOLE_CHARDEV));
    args.addAll(
        List.of(
            "-chardev",
            "socket,id=" + QMP_CHARDEV + ",path=" + escape(qmpSocket.toString())
                + ",server=on,wait=off"));
    args.addAll(List.of("-mon", "chardev=" + QMP_CHARDEV + ",mode=control"));
    if (launch.incoming()) {
      // -S keeps the restored guest paused until carryon has checked the restore and says cont.
      args.addAll(List.of("-S", "-incoming", "defer"));
    }
    return List.copyOf(args);
  }

  private static void addDisk(List<String> args, VmConfig config, Path disk, DiskFormat format) {
    if (!VIRTIO_BLK.equals(config.diskInterface())) {
      throw new IllegalArgumentException(
          "diskInterface (" + config.diskInterface() + ") is not supported; only " + VIRTIO_BLK);
    }
    // JSON -blockdev syntax: a path may hold commas, which the key=value syntax would split on.
    ObjectNode file = JSON.createObjectNode();
    file.put("driver", "file");
    file.put("node-name", DISK_FILE_NODE);
    file.put("filename", disk.toString());
    ObjectNode top = JSON.createObjectNode();
    top.put("driver", format.driver());
    top.put("node-name", DISK_NODE);
    top.put("file", DISK_FILE_NODE);
    args.addAll(List.of("-blockdev", file.toString(), "-blockdev", top.toString()));
    args.addAll(List.of("-device", "virtio-blk-pci,drive=" + DISK_NODE + ",id=" + DISK_NODE + "-dev"));
  }

  /** Escapes a value for QEMU's key=value option syntax, where a comma is written twice. */
  static String escape(String value) {
    return value.replace(",", ",,");
  }
}
