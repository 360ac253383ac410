package dev.carryon.launcher.qemu;

import java.util.Objects;

/**
 * The accelerator carryon picked, and why.
 *
 * @param accel the accelerator to use
 * @param reason a few words a user can act on, e.g. "kvm probe booted in 0.2 s" or "kvm unusable:
 *     no /dev/kvm"
 */
public record AccelChoice(Accel accel, String reason) {

  public AccelChoice {
    Objects.requireNonNull(accel, "accel");
    Objects.requireNonNull(reason, "reason");
  }

  /** One line for stderr, e.g. {@code accelerator tcg (kvm unusable: no /dev/kvm)}. */
  public String describe() {
    return "accelerator " + accel.qemuName() + " (" + reason + ")";
  }
}
