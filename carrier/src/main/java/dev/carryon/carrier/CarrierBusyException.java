package dev.carryon.carrier;

/**
 * Refused because another command is writing the carrier: it holds the carrier's write lock, or it
 * committed while this one wrote (a lock that expired under a stalled holder). Nothing of this
 * command was committed; running it again once the other is done is safe.
 */
public final class CarrierBusyException extends CarrierException {
  CarrierBusyException(String message, Throwable cause) {
    super(message, cause);
  }
}
