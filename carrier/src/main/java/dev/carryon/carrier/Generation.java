package dev.carryon.carrier;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One checkpoint of the carrier: a disk chain and the hibernation state saved with exactly that
 * disk content. The two belong together and are only ever resumed together.
 *
 * @param number generation number, 1 for the one made by init, increasing by one per session end
 * @param parent the generation the session that made this one had resumed, or null for the first
 * @param created when it was committed
 * @param hostId the host that made it
 * @param sessionId the session that made it
 * @param chain carrier names of the disk chain, base first, then the COW, then the layers not yet
 *     merged, top last
 * @param state carrier name of the hibernation state, or null when this generation boots cold
 * @param note free text for people, may be empty
 * @param qemu the QEMU its session ran under, or null when not recorded (made by init, or by a
 *     carryon that did not record it): then the carrier's machine type applies
 * @param screenshot carrier name of a small picture of the screen as the state was saved, or null
 *     (no display adapter, no state, or made before screenshots were kept)
 */
public record Generation(
    long number,
    Long parent,
    Instant created,
    String hostId,
    String sessionId,
    List<String> chain,
    String state,
    String note,
    QemuRun qemu,
    String screenshot) {

  public Generation {
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(note, "note");
    if (number <= 0) {
      throw new IllegalArgumentException("number (" + number + ") must be positive");
    }
    if (parent != null && (parent <= 0 || parent >= number)) {
      throw new IllegalArgumentException(
          "parent (" + parent + ") must be positive and below number (" + number + ")");
    }
    chain = List.copyOf(chain);
  }

  /** The top image of the chain, the one a new session's COW is created over. */
  public String top() {
    return chain.get(chain.size() - 1);
  }

  /** True when a resume boots the disk cold instead of restoring a state. */
  public boolean coldBoot() {
    return state == null;
  }

  /** The machine type a resume of this generation runs under. */
  public String machineType(VmConfig carrierVm) {
    return qemu == null ? carrierVm.machineType() : qemu.machineType();
  }

  Generation withChain(List<String> newChain) {
    return new Generation(
        number, parent, created, hostId, sessionId, newChain, state, note, qemu, screenshot);
  }
}
