package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.VmConfig;
import java.nio.file.Path;
import java.util.Collections;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
  private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
  private static final Path QMP = Path.of("/tmp/w/qmp.sock");
  private static final VmConfig CONFIG =
      new VmConfig(
          "pc-q35-7.2", "qemu64", 256, 2, "virtio-blk", "boot/vmlinuz", "boot/initrd.img",
          "console=ttyS0 quiet",
          List.of("virtio-vga", "qemu-xhci", "usb-tablet", "virtio-net-pci,mac=52:54:00:12:34:56"));

  private static List<String> build(QemuLaunch launch) {
    return QemuCommandLine.build(QEMU, launch, QMP);
  }

  /** The value following {@code option}; fails when the option is absent or given twice. */
  private static String valueOf(List<String> args, String option) {
    assertEquals(1, Collections.frequency(args, option), option + " in " + args);
    return args.get(args.indexOf(option) + 1);
  }

  @Test
  void pinsTheHardwareFromTheConfig() {
    List<String> args = build(QemuLaunch.of(CONFIG, Path.of("/carrier")).withAccel(Accel.KVM));
    assertEquals(QEMU.toString(), args.get(0));
    assertTrue(args.contains("-nodefaults"));
    assertTrue(args.contains("-no-user-config"));
    assertEquals("type=pc-q35-7.2", valueOf(args, "-machine"));
    assertEquals("kvm", valueOf(args, "-accel"));
    assertEquals("qemu64", valueOf(args, "-cpu"));
    assertEquals("256M", valueOf(args, "-m"));
    assertEquals("2", valueOf(args, "-smp"));
    assertEquals("none", valueOf(args, "-display"));
    assertFalse(args.contains("-incoming"));
    assertFalse(args.contains("-S"));
  }

  @Test
  void resolvesKernelAndInitrdAgainstTheFileRoot() {
    List<String> args = build(QemuLaunch.of(CONFIG, Path.of("/carrier")));
    assertEquals("/carrier/boot/vmlinuz", valueOf(args, "-kernel"));
    assertEquals("/carrier/boot/initrd.img", valueOf(args, "-initrd"));
    assertEquals("console=ttyS0 quiet", valueOf(args, "-append"));
  }

  @Test
  void leavesOutKernelOptionsWhenBootingTheDisk() {
    VmConfig diskBoot =
        new VmConfig("pc-q35-7.2", "qemu64", 64, 1, "virtio-blk", null, null, null, null);
    List<String> args = build(QemuLaunch.of(diskBoot, Path.of("/x")));
    assertFalse(args.contains("-kernel"));
    assertFalse(args.contains("-initrd"));
    assertFalse(args.contains("-append"));
    assertFalse(args.contains("-device"), "no disk, no extra devices: " + args);
  }

  @Test
  void attachesTheDiskAsFileAndFormatNodesOnVirtioBlk() {
    Path disk = Path.of("/tmp/a,b/over lay.qcow2");
    List<String> args =
        build(QemuLaunch.of(CONFIG, Path.of("/c")).withDisk(disk, DiskFormat.QCOW2));
    int first = args.indexOf("-blockdev");
    assertEquals(
        "{\"driver\":\"file\",\"node-name\":\"disk0-file\",\"filename\":\"/tmp/a,b/over lay.qcow2\"}",
        args.get(first + 1));
    assertEquals("-blockdev", args.get(first + 2));
    assertEquals(
        "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":\"disk0-file\"}",
        args.get(first + 3));
    assertTrue(args.contains("virtio-blk-pci,drive=disk0,id=disk0-dev"), args.toString());
    assertTrue(args.indexOf("virtio-vga") > args.indexOf("virtio-blk-pci,drive=disk0,id=disk0-dev"), "devices follow the disk: " + args);

    List<String> raw = build(QemuLaunch.of(CONFIG, Path.of("/c")).withDisk(disk, DiskFormat.RAW));
    assertTrue(raw.get(raw.lastIndexOf("-blockdev") + 1).startsWith("{\"driver\":\"raw\""));
  }

  @Test
  void givesQemuTheChainFromTheBlockServerNodeByNode() {
    Path sock = Path.of("/run/s/blocks.sock");
    List<QemuLaunch.Image> chain =
        List.of(
            QemuLaunch.Image.nbd(sock, "cow.qcow2", DiskFormat.QCOW2),
            QemuLaunch.Image.nbd(sock, "base.raw", DiskFormat.RAW));
    List<String> args =
        build(
            QemuLaunch.of(CONFIG, Path.of("/c"))
                .withDisk(Path.of("/w/local.qcow2"), DiskFormat.QCOW2, chain));
    List<String> nodes = new ArrayList<>();
    for (int i = args.indexOf("-blockdev"); i >= 0 && i < args.size(); i += 2) {
      if (!args.get(i).equals("-blockdev")) {
        break;
      }
      nodes.add(args.get(i + 1));
    }
    assertEquals(
        List.of(
            "{\"driver\":\"raw\",\"node-name\":\"chain2\",\"read-only\":true,\"file\":"
                + "{\"driver\":\"nbd\",\"server\":{\"type\":\"unix\",\"path\":"
                + "\"/run/s/blocks.sock\"},\"export\":\"base.raw\",\"read-only\":true}}",
            "{\"driver\":\"qcow2\",\"node-name\":\"chain1\",\"read-only\":true,\"file\":"
                + "{\"driver\":\"nbd\",\"server\":{\"type\":\"unix\",\"path\":"
                + "\"/run/s/blocks.sock\"},\"export\":\"cow.qcow2\",\"read-only\":true},"
                + "\"backing\":\"chain2\"}",
            "{\"driver\":\"file\",\"node-name\":\"disk0-file\",\"filename\":\"/w/local.qcow2\"}",
            "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":\"disk0-file\","
                + "\"backing\":\"chain1\"}"),
        nodes);
  }

  @Test
  void givesQemuExactlyTheBackingChainItNames() {
    List<QemuLaunch.Image> chain =
        List.of(
            new QemuLaunch.Image(Path.of("/c/layers/L2.qcow2"), DiskFormat.QCOW2),
            new QemuLaunch.Image(Path.of("/c/cow.qcow2"), DiskFormat.QCOW2),
            new QemuLaunch.Image(Path.of("/c/base.raw"), DiskFormat.RAW));
    List<String> args =
        build(QemuLaunch.of(CONFIG, Path.of("/c")).withDisk(Path.of("/w/local.qcow2"), DiskFormat.QCOW2, chain));
    assertEquals(
        "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":\"disk0-file\",\"backing\":"
            + "{\"driver\":\"qcow2\",\"node-name\":\"chain1\",\"read-only\":true,\"file\":"
            + "{\"driver\":\"file\",\"filename\":\"/c/layers/L2.qcow2\",\"read-only\":true},\"backing\":"
            + "{\"driver\":\"qcow2\",\"node-name\":\"chain2\",\"read-only\":true,\"file\":"
            + "{\"driver\":\"file\",\"filename\":\"/c/cow.qcow2\",\"read-only\":true},\"backing\":"
            + "{\"driver\":\"raw\",\"node-name\":\"chain3\",\"read-only\":true,\"file\":"
            + "{\"driver\":\"file\",\"filename\":\"/c/base.raw\",\"read-only\":true}}}}}",
        args.get(args.lastIndexOf("-blockdev") + 1));

    List<String> qcowBase =
        build(QemuLaunch.of(CONFIG, Path.of("/c")).withDisk(Path.of("/w/local.qcow2"), DiskFormat.QCOW2,
            List.of(new QemuLaunch.Image(Path.of("/c/base.qcow2"), DiskFormat.QCOW2))));
    assertTrue(
        qcowBase.get(qcowBase.lastIndexOf("-blockdev") + 1).endsWith("\"read-only\":true},\"backing\":null}}"),
        "the lowest qcow2 image gets no backing image, whatever its header says: " + qcowBase);
  }

  @Test
  void opensEveryQcow2NodeOfAnEncryptedDiskWithTheSecretFromItsFile() {
    Path sock = Path.of("/run/s/blocks.sock");
    for (List<QemuLaunch.Image> chain : List.of(
        List.of(new QemuLaunch.Image(Path.of("/c/cow.qcow2"), DiskFormat.QCOW2),
            new QemuLaunch.Image(Path.of("/c/base.qcow2"), DiskFormat.QCOW2)),
        List.of(QemuLaunch.Image.nbd(sock, "cow.qcow2", DiskFormat.QCOW2),
            QemuLaunch.Image.nbd(sock, "base.qcow2", DiskFormat.QCOW2)))) {
      List<String> args =
          build(QemuLaunch.of(CONFIG, Path.of("/c"))
              .withDisk(Path.of("/w/local.qcow2"), DiskFormat.QCOW2, chain)
              .withDiskKey(new DiskKey(Path.of("/w/s,1/disk.secret"))));
      // The secret's file, never the secret, is on the command line.
      assertEquals("secret,id=disk-secret,file=/w/s,,1/disk.secret", valueOf(args, "-object"));
      String all = String.join(" ", args);
      String unlock = "\"encrypt\":{\"format\":\"luks\",\"key-secret\":\"disk-secret\"}";
      int unlocked = (all.length() - all.replace(unlock, "").length()) / unlock.length();
      assertEquals(3, unlocked, "the local COW, the COW and the base: " + all);
    }
    List<String> plain = build(QemuLaunch.of(CONFIG, Path.of("/c"))
        .withDisk(Path.of("/w/local.qcow2"), DiskFormat.QCOW2));
    assertFalse(String.join(" ", plain).contains("encrypt"), plain.toString());
    assertFalse(plain.contains("-object"), plain.toString());
  }

  @Test
  void writesEachDeviceFromItsTypeWithTheHostsPlumbing() {
    List<String> args = build(QemuLaunch.of(CONFIG, Path.of("/c")));
    List<String> devices = new java.util.ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("-device")) {
        devices.add(args.get(i + 1));
      }
    }
    assertEquals(
        List.of(
            "virtio-vga",
            "qemu-xhci,id=xhci",
            "usb-tablet,bus=xhci.0",
            "virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56,romfile="),
        devices);
    assertEquals("user,id=net0", valueOf(args, "-netdev"));
  }

  @Test
  void forwardsTheHostsPortsToTheNic() {
    List<String> args =
        build(
            QemuLaunch.of(CONFIG, Path.of("/c"))
                .withForwards(
                    List.of(new HostForward("tcp:127.0.0.1:8080-:80"), new HostForward("udp::5353-:53"))));
    assertEquals(
        "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp::5353-:53", valueOf(args, "-netdev"));
  }

  @Test
  void hostSideChoicesAreCheckedBeforeTheyReachQemu() {
    for (String ok : List.of("tcp:127.0.0.1:8080-:80", "tcp::2222-10.0.2.15:22", "udp::53-:53")) {
      assertEquals(ok, new HostForward(ok).spec());
    }
    for (String bad :
        List.of("tcp:127.0.0.1:8080-:80,guestfwd=x", "tcp::0-:80", "tcp::70000-:80", "sctp::1-:1", "tcp:host:1-:1")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HostForward(bad));
      assertTrue(e.getMessage().startsWith("(" + bad + ") must be PROTOCOL:"), e.getMessage());
    }
    for (String ok : List.of("gtk", "sdl", "none", "vnc=127.0.0.1:1", "vnc=localhost:0")) {
      assertEquals(ok, QemuDisplay.parse(ok));
    }
    for (String bad : List.of("vnc=:1,password=on", "curses", "vnc=0.0.0.0:100", "gtk,gl=on")) {
      assertThrows(IllegalArgumentException.class, () -> QemuDisplay.parse(bad), bad);
    }
    assertEquals(5901, QemuDisplay.vncPort("vnc=127.0.0.1:1"));
    assertEquals("gtk", QemuDisplay.byDefault(java.util.Map.of("DISPLAY", ":0")));
    assertEquals("gtk", QemuDisplay.byDefault(java.util.Map.of("WAYLAND_DISPLAY", "wayland-0")));
    assertEquals("none", QemuDisplay.byDefault(java.util.Map.of()));
  }

  @Test
  void runsQemuInItsSandboxWithoutUserConfig() {
    List<String> args = build(QemuLaunch.of(CONFIG, Path.of("/c")));
    assertEquals(
        "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
        valueOf(args, "-sandbox"));
    assertTrue(args.contains("-no-user-config"));
    assertFalse(args.contains("-readconfig"));
  }

  @Test
  void sendsTheConsoleToAFileWithCommasEscaped() {
    List<String> args =
        build(QemuLaunch.of(CONFIG, Path.of("/c")).withConsole(Path.of("/logs/a,b.log")));
    assertTrue(args.contains("file,id=console0,path=/logs/a,,b.log"), args.toString());
    assertEquals("chardev:console0", valueOf(args, "-serial"));
  }

  @Test
  void sendsTheConsoleToStdoutWithoutTakingCtrlC() {
    List<String> args = build(QemuLaunch.of(CONFIG, Path.of("/c")));
    assertTrue(args.contains("stdio,id=console0,signal=off"), args.toString());
  }

  @Test
  void servesQmpOnItsUnixSocket() {
    List<String> args = build(QemuLaunch.of(CONFIG, Path.of("/c")));
    assertTrue(args.contains("socket,id=qmp0,path=/tmp/w/qmp.sock,server=on,wait=off"), args.toString());
    assertEquals("chardev=qmp0,mode=control", valueOf(args, "-mon"));
  }

  @Test
  void waitsPausedForARestore() {
    List<String> args = build(QemuLaunch.of(CONFIG, Path.of("/c")).withIncoming(true));
    assertEquals("defer", valueOf(args, "-incoming"));
    assertTrue(args.contains("-S"));
  }

  @Test
  void showsADisplayOnlyWhenAsked() {
    assertEquals("gtk", valueOf(build(QemuLaunch.of(CONFIG, Path.of("/c")).withDisplay("gtk")), "-display"));
  }

  @Test
  void aDiskNeedsItsFormat() {
    assertThrows(
        IllegalArgumentException.class,
        () -> QemuLaunch.of(CONFIG, Path.of("/c")).withDisk(Path.of("/d"), null));
  }
}
