package dev.carryon.launcher.qemu;

/** A QEMU accelerator carryon can run a guest under. */
public enum Accel {
  /** Hardware virtualization; fast, but needs a working /dev/kvm. */
  KVM("kvm"),
  /** QEMU's portable CPU emulator; always there, several times slower. */
  TCG("tcg");

  /** The name QEMU's {@code -accel} option takes. */
  private final String qemuName;

  Accel(String qemuName) {
    this.qemuName = qemuName;
  }

  public String qemuName() {
    return qemuName;
  }
}
