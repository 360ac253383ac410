package dev.carryon.carrier.storage;

import java.io.IOException;
import java.util.List;

/** Image work a carrier server does where the carrier's bytes are (see {@link CarrierStorage#serverSide}). */
public interface ServerSideImages {
  /**
   * Merges what image {@code top} defines into image {@code into}, whose backing chain is {@code
   * below} (top first; backing names in headers are not followed), as cow-merge's merge does, and
   * forces {@code into} before returning. Idempotent: merging again writes what {@code into}
   * already holds.
   */
  void merge(String top, String into, List<String> below) throws IOException;
}
