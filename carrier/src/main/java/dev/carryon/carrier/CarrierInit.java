package dev.carryon.carrier;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a new carrier is made from. The files are copied onto the carrier and never changed; the
 * base keeps its format ({@value CarrierFiles#BASE_QCOW2} or {@value CarrierFiles#BASE_RAW}, told
 * by its first bytes).
 *
 * @param vm the VM configuration; its kernel and initrd names are set to the carrier's names of the
 *     files given here
 * @param base the base disk image
 * @param cow a qcow2 overlay of {@code base} holding the disk's writes so far (its backing file
 *     must be {@code base}; the carrier's copy names the base's carrier name instead), or null for
 *     an empty COW made by the carrier
 * @param kernel kernel for direct boot, or null
 * @param initrd initrd for direct boot, or null
 * @param state hibernation state saved with exactly this disk (zstd-compressed), or null to boot
 *     cold
 * @param host the host making the carrier
 * @param sessionId the session the state was saved from (or any id for a cold carrier)
 * @param note free text for generation 1
 * @param keep checkpoints to keep, at least 1 (see {@link CarrierFiles#DEFAULT_KEEP})
 */
public record CarrierInit(
    VmConfig vm,
    Path base,
    Path cow,
    Path kernel,
    Path initrd,
    Path state,
    HostIdentity host,
    String sessionId,
    String note,
    int keep) {

  public CarrierInit {
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(note, "note");
    if (keep < 1) {
      throw new IllegalArgumentException("keep (" + keep + ") must be at least 1");
    }
    if (initrd != null && kernel == null) {
      throw new IllegalArgumentException("initrd (" + initrd + ") given without a kernel");
    }
  }
}
