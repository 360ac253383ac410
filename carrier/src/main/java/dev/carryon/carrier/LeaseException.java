package dev.carryon.carrier;

/** Refused because another session holds the carrier's lease (or none does, where one must). */
public final class LeaseException extends CarrierException {
  /** The lease found on the carrier, or null when none was held. */
  private final transient Lease holder;

  LeaseException(String message, Lease holder) {
    super(message);
    this.holder = holder;
  }

  /** The lease found on the carrier, or null when none was held. */
  public Lease holder() {
    return holder;
  }
}
