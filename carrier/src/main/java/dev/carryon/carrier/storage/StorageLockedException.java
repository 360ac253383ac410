package dev.carryon.carrier.storage;

import java.io.IOException;

/** {@link CarrierStorage#lock} refused: another command holds the carrier's write lock. */
public final class StorageLockedException extends IOException {
  /** The holder as it named itself when it took the lock, or null when the storage cannot tell. */
  private final String holder;

  public StorageLockedException(String location, String holder) {
    super(
        location
            + ": in use by another carryon command"
            + (holder == null ? "" : " (" + holder + ")"));
    this.holder = holder;
  }

  /** The holder as it named itself, or null when the storage cannot tell. */
  public String holder() {
    return holder;
  }
}
