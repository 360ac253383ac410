package dev.carryon.launcher.watch;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Lease;
import dev.carryon.carrier.Manifest;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What the watch reads of a carrier it found, and nothing more: the one place in this package that
 * opens a carrier (read-only, no lock, nothing written).
 *
 * @param location the carrier as commands name it (its folder)
 * @param carrierId the manifest's carrier id
 * @param generation the current generation
 * @param lease who holds it, or null when free
 */
public record CarrierLook(String location, String carrierId, long generation, Lease lease) {
  /** The manifest's file name: a folder holding one is a carrier to the watch. */
  static final String MANIFEST = FolderStorage.MANIFEST;

  /**
   * Reads the carrier in {@code folder}.
   *
   * @throws IOException when it cannot be read or its manifest is refused (the message names the
   *     file and the problem)
   */
  static CarrierLook at(Path folder) throws IOException {
    try (CarrierStorage storage = FolderStorage.of(folder);
        Carrier c = Carrier.open(storage)) {
      Manifest m = c.manifest();
      return new CarrierLook(
          folder.toString(), m.carrierId().toString(), m.currentGeneration(), m.lease());
    }
  }
}
