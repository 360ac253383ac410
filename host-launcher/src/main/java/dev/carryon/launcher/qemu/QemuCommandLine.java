package dev.carryon.launcher.qemu;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.VmConfig;
import dev.carryon.carrier.VmDevice;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the {@code qemu-system-x86_64} argument list for a {@link QemuLaunch}. Nothing QEMU would
 * add by itself is left to it ({@code -nodefaults}, no user config), so the same config gives the
 * same virtual hardware on every host, which a restore needs.
 *
 * <p>A carrier is untrusted, so QEMU gets nothing from it that could reach a host file: the config
 * is allow-listed ({@link VmConfig}, {@link VmDevice}) and each device is written here from its
 * type; the disk chain is given image by image, so QEMU never follows a backing file name from an
 * image header; no user config or {@code -readconfig} is read; and QEMU runs under its seccomp
 * sandbox ({@link #SANDBOX}), which stops it from starting programs, raising privileges or using
 * obsolete system calls.
 */
public final class QemuCommandLine {
  /** {@code -sandbox} value of every QEMU carryon starts: seccomp on, everything it can deny. */
  public static final String SANDBOX =
      "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";
  /** Block node name of the disk's protocol (file) layer. */
  static final String DISK_FILE_NODE = "disk0-file";
  /** Block node name of the disk's format layer, the one the guest device is attached to. */
  static final String DISK_NODE = "disk0";
  /** Chardev id of the serial console. */
  static final String CONSOLE_CHARDEV = "console0";
  /** Chardev id of the QMP monitor. */
  static final String QMP_CHARDEV = "qmp0";
  /** Id of the USB controller, whose bus the USB devices name. */
  static final String XHCI_ID = "xhci";
  /** Id of the host side of the NIC. */
  static final String NETDEV_ID = "net0";

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
    args.addAll(List.of("-sandbox", SANDBOX));
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
      addDisk(args, launch);
    }
    for (VmDevice device : config.devices()) {
      addDevice(args, device, launch.forwards());
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
    addQmp(args, qmpSocket);
    if (launch.incoming()) {
      // -S keeps the restored guest paused until carryon has checked the restore and says cont.
      args.addAll(List.of("-S", "-incoming", "defer"));
    }
    return List.copyOf(args);
  }

  /**
   * The disk on virtio-blk (the one interface {@link VmConfig} allows): its file node, its format
   * node, and below it the backing chain the launch names, if any, as nested read-only nodes with
   * the lowest one's backing set to none. JSON syntax throughout: a path may hold commas, which
   * the key=value syntax would split on.
   */
  /**
   * A QEMU with no machine ({@code -machine none}), paused, that only answers QMP on {@code
   * qmpSocket}: what it is and offers ({@link QemuFacts}). TCG, so that what a CPU model lacks is
   * what TCG cannot give.
   */
  static List<String> bare(Path qemu, Path qmpSocket) {
    List<String> args = new ArrayList<>();
    args.add(qemu.toString());
    args.addAll(List.of("-name", "carryon-query", "-nodefaults", "-no-user-config"));
    args.addAll(List.of("-sandbox", SANDBOX, "-machine", "none", "-accel", "tcg"));
    args.addAll(List.of("-display", "none", "-S"));
    addQmp(args, qmpSocket);
    return List.copyOf(args);
  }

  private static void addQmp(List<String> args, Path qmpSocket) {
    args.addAll(
        List.of(
            "-chardev",
            "socket,id=" + QMP_CHARDEV + ",path=" + escape(qmpSocket.toString())
                + ",server=on,wait=off"));
    args.addAll(List.of("-mon", "chardev=" + QMP_CHARDEV + ",mode=control"));
  }

  private static void addDisk(List<String> args, QemuLaunch launch) {
    if (launch.diskKey() != null) {
      args.addAll(launch.diskKey().objectArgs());
    }
    ObjectNode file = JSON.createObjectNode();
    file.put("driver", "file");
    file.put("node-name", DISK_FILE_NODE);
    file.put("filename", launch.disk().toString());
    ObjectNode top = JSON.createObjectNode();
    top.put("driver", launch.diskFormat().driver());
    top.put("node-name", DISK_NODE);
    top.put("file", DISK_FILE_NODE);
    unlock(top, launch);
    if (launch.backing() != null
        && launch.backing().stream().anyMatch(image -> image.nbdExport() != null)) {
      top.put("backing", addChainByReference(args, launch));
    } else if (launch.backing() != null) {
      ObjectNode parent = top;
      for (int i = 0; i < launch.backing().size(); i++) {
        QemuLaunch.Image image = launch.backing().get(i);
        ObjectNode node = parent.putObject("backing");
        node.put("driver", image.format().driver());
        node.put("node-name", "chain" + (i + 1));
        node.put("read-only", true);
        unlock(node, launch);
        node.putObject("file")
            .put("driver", "file")
            .put("filename", image.path().toString())
            .put("read-only", true);
        parent = node;
      }
      if (parent.get("driver").asText().equals(DiskFormat.QCOW2.driver())) {
        parent.putNull("backing");
      }
    }
    args.addAll(List.of("-blockdev", file.toString(), "-blockdev", top.toString()));
    args.addAll(List.of("-device", "virtio-blk-pci,drive=" + DISK_NODE + ",id=" + DISK_NODE + "-dev"));
  }

  /**
   * The chain {@code backing} (top first) as one read-only {@code -blockdev} node per image, lowest
   * first, each qcow2 node naming the node below it as its backing by reference; returns the top
   * one's node name. By reference, not nested: given a backing inline, QEMU first makes the
   * header's backing name absolute against the image's own location, which an NBD node has not
   * ("Cannot generate a base directory for NBD nodes").
   */
  private static String addChainByReference(List<String> args, QemuLaunch launch) {
    List<QemuLaunch.Image> backing = launch.backing();
    String below = null;
    for (int i = backing.size() - 1; i >= 0; i--) {
      QemuLaunch.Image image = backing.get(i);
      ObjectNode node = JSON.createObjectNode();
      node.put("driver", image.format().driver());
      node.put("node-name", "chain" + (i + 1));
      node.put("read-only", true);
      unlock(node, launch);
      ObjectNode file = node.putObject("file");
      if (image.nbdExport() == null) {
        file.put("driver", "file").put("filename", image.path().toString());
      } else {
        file.put("driver", "nbd");
        file.putObject("server").put("type", "unix").put("path", image.path().toString());
        file.put("export", image.nbdExport());
      }
      file.put("read-only", true);
      if (image.format() == DiskFormat.QCOW2) {
        if (below == null) {
          node.putNull("backing");
        } else {
          node.put("backing", below);
        }
      }
      args.addAll(List.of("-blockdev", node.toString()));
      below = "chain" + (i + 1);
    }
    return below;
  }

  /** Makes format node {@code node} open its data with the launch's disk key, if qcow2 and any. */
  private static void unlock(ObjectNode node, QemuLaunch launch) {
    if (launch.diskKey() != null && node.get("driver").asText().equals(DiskFormat.QCOW2.driver())) {
      launch.diskKey().unlock(node);
    }
  }

  /**
   * One allow-listed device, written from its type: what plugs it in (the USB bus, the NIC's
   * host side: user-mode NAT with the launch's port forwards) is the host's. The NIC has no option
   * ROM ({@code romfile=}): carryon boots kernels directly or from the disk, and a ROM is RAM that a
   * restore would need the same on every host.
   */
  private static void addDevice(List<String> args, VmDevice device, List<HostForward> forwards) {
    String driver = device.type().driver();
    String spec =
        switch (device.type()) {
          case XHCI -> driver + ",id=" + XHCI_ID;
          case USB_TABLET, USB_KBD -> driver + ",bus=" + XHCI_ID + ".0";
          case VIRTIO_NET -> {
            StringBuilder netdev = new StringBuilder("user,id=" + NETDEV_ID);
            forwards.forEach(f -> netdev.append(",hostfwd=").append(f.spec()));
            args.addAll(List.of("-netdev", netdev.toString()));
            yield driver + ",netdev=" + NETDEV_ID + ",mac=" + device.mac() + ",romfile=";
          }
          case VIRTIO_VGA, VGA, VIRTIO_KEYBOARD, VIRTIO_TABLET -> driver;
        };
    args.addAll(List.of("-device", spec));
  }

  /** Escapes a value for QEMU's key=value option syntax, where a comma is written twice. */
  static String escape(String value) {
    return value.replace(",", ",,");
  }
}
