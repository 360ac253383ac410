package dev.carryon.carrier.storage;

import java.io.IOException;

/**
 * {@link CarrierStorage#replaceManifest} refused: the manifest is no longer the version the caller
 * read, because another host or command committed in between. Nothing was written.
 */
public final class ManifestChangedException extends IOException {
  public ManifestChangedException(String location, String expected, String found) {
    super(
        location
            + ": the manifest changed since it was read (expected version "
            + (expected == null ? "none" : expected)
            + ", found "
            + (found == null ? "none" : found)
            + "); nothing was committed");
  }
}
