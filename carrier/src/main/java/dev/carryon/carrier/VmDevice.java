package dev.carryon.carrier;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One device of a carrier's VM beyond its disk: an entry of {@link VmConfig#extraDevices()},
 * written as QEMU's {@code -device} syntax ({@code driver[,key=value...]}) but limited to carryon's
 * allow-list: the device types below, each with the only properties a carrier may set. Everything
 * else QEMU needs to plug a device in (ids, buses, how a NIC reaches the world) is the host's and
 * is added when the command line is built. A carrier is untrusted input, so an entry is parsed
 * strictly: no other driver (QEMU's {@code loader} would read any host file into the guest), no
 * other property, no option separator or escape ({@code ,,}) inside a value.
 *
 * @param type the device type
 * @param mac the NIC's MAC address ({@code mac=}), lower case; null for every other type
 */
public record VmDevice(Type type, String mac) {
  /** The device types carryon makes; the QEMU driver name of each is {@link Type#driver()}. */
  public enum Type {
    /** Display adapter with virtio-gpu (the default for new carriers that have a screen). */
    VIRTIO_VGA("virtio-vga", Role.DISPLAY),
    /** Standard VGA, for guests without a virtio-gpu driver. */
    VGA("VGA", Role.DISPLAY),
    /** The USB (xHCI) controller the USB input devices sit on. */
    XHCI("qemu-xhci", Role.USB_CONTROLLER),
    /** A USB tablet: absolute pointer, the mouse follows the host's in a window. */
    USB_TABLET("usb-tablet", Role.USB_DEVICE),
    /** A USB keyboard. */
    USB_KBD("usb-kbd", Role.USB_DEVICE),
    /** A virtio keyboard. */
    VIRTIO_KEYBOARD("virtio-keyboard-pci", Role.INPUT),
    /** A virtio tablet (absolute pointer). */
    VIRTIO_TABLET("virtio-tablet-pci", Role.INPUT),
    /** A virtio network card; its MAC is fixed at init so the guest's network config survives. */
    VIRTIO_NET("virtio-net-pci", Role.NIC);

    /** The QEMU {@code -device} driver name. */
    private final String driver;
    /** What the device is for, which limits how many a VM may have. */
    private final Role role;

    Type(String driver, Role role) {
      this.driver = driver;
      this.role = role;
    }

    public String driver() {
      return driver;
    }

    /** True for a display adapter. */
    public boolean isDisplay() {
      return role == Role.DISPLAY;
    }

    /** True for a device on the USB controller. */
    public boolean isUsb() {
      return role == Role.USB_DEVICE;
    }

    static Type ofDriver(String driver) {
      for (Type t : values()) {
        if (t.driver.equals(driver)) {
          return t;
        }
      }
      return null;
    }
  }

  /** What a device is for: a VM has at most one display adapter, USB controller and NIC. */
  private enum Role {
    DISPLAY,
    USB_CONTROLLER,
    USB_DEVICE,
    INPUT,
    NIC
  }

  /** Roles a VM may have once only. */
  private static final Set<Role> ONCE = EnumSet.of(Role.DISPLAY, Role.USB_CONTROLLER, Role.NIC);
  /** Characters an entry may hold at all: no spaces, quotes, escapes or control characters. */
  private static final Pattern ENTRY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9:=,.-]{0,99}");
  /** A unicast MAC address in lower case. */
  private static final Pattern MAC =
      Pattern.compile("[0-9a-f][02468ace](:[0-9a-f]{2}){5}");

  public VmDevice {
    if (type == null) {
      throw new IllegalArgumentException("type must be given");
    }
    if ((type == Type.VIRTIO_NET) != (mac != null)) {
      throw new IllegalArgumentException(
          "mac (" + mac + ") must be given for a " + Type.VIRTIO_NET.driver + " and only for one");
    }
    if (mac != null && !MAC.matcher(mac).matches()) {
      throw new IllegalArgumentException(
          "mac (" + mac + ") must be a unicast MAC address in lower case, like 52:54:00:12:34:56");
    }
  }

  /** A device of {@code type} that has no properties. */
  public static VmDevice of(Type type) {
    return new VmDevice(type, null);
  }

  /** A network card with MAC address {@code mac}. */
  public static VmDevice nic(String mac) {
    return new VmDevice(Type.VIRTIO_NET, mac);
  }

  /** The entry as {@link VmConfig#extraDevices()} holds it, e.g. {@code virtio-net-pci,mac=...}. */
  public String spec() {
    return mac == null ? type.driver : type.driver + ",mac=" + mac;
  }

  /**
   * Parses one entry.
   *
   * @throws IllegalArgumentException naming what is not allowed, with the entry
   */
  public static VmDevice parse(String spec) {
    Type type = spec == null ? null : Type.ofDriver(spec.split(",", -1)[0]);
    if (type == null) {
      throw new IllegalArgumentException(
          "(" + spec + ") is not a device type carryon makes; allowed: " + allowedDrivers());
    }
    if (!ENTRY.matcher(spec).matches()) {
      throw new IllegalArgumentException(
          "(" + spec + ") must be a device type with its properties, like"
              + " virtio-net-pci,mac=52:54:00:12:34:56, in letters, digits, ':', '.', '-'");
    }
    String[] parts = spec.split(",", -1);
    Map<String, String> properties = new LinkedHashMap<>();
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      String key = eq < 0 ? parts[i] : parts[i].substring(0, eq);
      if (eq <= 0 || parts[i].indexOf('=', eq + 1) >= 0 || properties.containsKey(key)) {
        throw new IllegalArgumentException(
            "(" + spec + ") property '" + parts[i] + "' must be key=value, each key once");
      }
      if (!(type == Type.VIRTIO_NET && key.equals("mac"))) {
        throw new IllegalArgumentException(
            "(" + spec + ") property '" + key + "' is not one a carrier may set for "
                + type.driver + (type == Type.VIRTIO_NET ? " (only mac)" : " (none)"));
      }
      properties.put(key, parts[i].substring(eq + 1));
    }
    try {
      return new VmDevice(type, properties.get("mac"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("(" + spec + ") " + e.getMessage());
    }
  }

  /**
   * Parses a whole device list and checks it as a VM: at most one display adapter, USB controller
   * and NIC; USB devices only after the USB controller; no device twice.
   *
   * @throws IllegalArgumentException naming the entry, e.g. {@code extraDevices[2] (...) ...}
   */
  static List<VmDevice> parseAll(List<String> specs) {
    List<VmDevice> devices = new ArrayList<>();
    Set<Role> seen = EnumSet.noneOf(Role.class);
    for (int i = 0; i < specs.size(); i++) {
      String where = "extraDevices[" + i + "] ";
      VmDevice d;
      try {
        d = parse(specs.get(i));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + e.getMessage());
      }
      Role role = d.type.role;
      if (ONCE.contains(role) && seen.contains(role)
          || devices.stream().anyMatch(o -> o.type == d.type)) {
        throw new IllegalArgumentException(
            where + "(" + specs.get(i) + ") is a second " + role.name().toLowerCase().replace('_', ' ')
                + "; a VM has one");
      }
      if (role == Role.USB_DEVICE && !seen.contains(Role.USB_CONTROLLER)) {
        throw new IllegalArgumentException(
            where + "(" + specs.get(i) + ") is a USB device with no " + Type.XHCI.driver
                + " before it");
      }
      seen.add(role);
      devices.add(d);
    }
    return List.copyOf(devices);
  }

  private static String allowedDrivers() {
    List<String> names = new ArrayList<>();
    for (Type t : Type.values()) {
      names.add(t.driver);
    }
    return String.join(", ", names);
  }
}
